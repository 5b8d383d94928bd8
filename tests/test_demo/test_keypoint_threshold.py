"""The pictures' keypoint threshold on constructed cases: OKS matching, the
sigma-radius, the lowest score with half the joints right, and the
fallbacks."""
import numpy as np
import pytest

from higherhrnet_plugin.visualization.keypoint_threshold import (
    choose_threshold, isotonic, judge_joints, oks)

# two joints of sigma 0.5: k = 2 sigma = 1, so with an area of 100 the
# sigma-radius is 10 px
SIGMAS = np.array([0.5, 0.5])
GT = np.array([[[0., 0., 2], [50., 0., 2]]])
AREA = np.array([100.])


def test_oks_is_one_on_the_labelled_joints_and_ignores_the_rest():
    gt = np.array([[[0., 0., 2], [50., 0., 0]], [[9., 9., 0], [9., 9., 0]]])
    sim = oks(np.array([[[0., 0.], [99., 99.]]]), gt, np.array([100., 100.]),
              SIGMAS)
    # the unlabelled joint does not count; no labelled joints: -1
    assert sim == pytest.approx(np.array([[1.0, -1.0]]))


def test_a_joint_exactly_on_the_radius_is_right_and_just_off_it_wrong():
    pred = np.array([[[10., 0.], [50., 10.0001]]])
    scores, right = judge_joints(pred, np.array([[0.9, 0.8]]), GT, AREA,
                                 SIGMAS)
    assert scores.tolist() == [0.9, 0.8] and right.tolist() == [True, False]


def test_each_person_is_judged_against_its_best_oks_labelled_person():
    gt = np.concatenate([GT, GT + [100., 0., 0.]])
    # persons 0 and 1 both lie nearest labelled person 1 (a person split in
    # two fragments): each is judged there; person 2 is far from anyone
    pred = np.array([[[100., 0.], [150., 0.]], [[105., 0.], [170., 0.]],
                     [[400., 400.], [450., 400.]]])
    scores = np.array([[0.9, 0.9], [0.5, 0.5], [0.7, 0.7]])
    s, right = judge_joints(pred, scores, gt, np.array([100., 100.]), SIGMAS)
    assert s.tolist() == [0.9, 0.9, 0.5, 0.5, 0.7, 0.7]
    assert right.tolist() == [True, True, True, False, False, False]


def test_unlabelled_joints_of_a_matched_person_are_not_judged():
    gt = GT.copy()
    gt[0, 1, 2] = 0
    s, right = judge_joints(np.array([[[0., 0.], [70., 0.]]]),
                            np.array([[0.9, 0.8]]), gt, AREA, SIGMAS)
    assert s.tolist() == [0.9] and right.tolist() == [True]


def test_threshold_is_the_lowest_score_right_half_the_time():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    right = [True, False, True, False, False, True, False]
    out = choose_threshold(scores, right)
    # the fit, from 0.3 up: 0, 1/3 (0.4 to 0.6 pooled), 1/2 (0.7 and 0.8),
    # 1: joints from 0.7 up are right half the time. (Of all the joints
    # scored 0.4 or more, 3 of 6 are right: a share is no chance.)
    assert out['kpt_thr'] == 0.7 and out['joints'] == 7
    assert out['joints_above'] == 3 and out['fraction_right'] == 0.6667


def test_isotonic_pools_what_decreases():
    fit = isotonic(np.array([0., 1., 0., 1.]), np.ones(4))
    assert fit.tolist() == [0.0, 0.5, 0.5, 1.0]
    # weighted: a heavy 0 drags the pool down
    assert isotonic(np.array([1., 0.]), np.array([1., 3.])).tolist() == \
        [0.25, 0.25]


def test_a_tie_is_kept_or_dropped_whole():
    # the two joints at 0.5 pool to a chance of 0.5: below 0.7, so 0.9 it is
    out = choose_threshold([0.9, 0.5, 0.5], [True, True, False],
                           fraction=0.7)
    assert out['kpt_thr'] == 0.9 and out['joints_above'] == 1
    assert choose_threshold([0.9, 0.5, 0.5], [True, True, False])[
        'kpt_thr'] == 0.5


@pytest.mark.parametrize('scores,right,reason', [
    ([], [], 'no predicted joint to judge'),
    ([0.9, 0.2], [False, False], 'at no score is a joint right'),
])
def test_fallback_is_the_default_and_says_why(scores, right, reason):
    out = choose_threshold(scores, right, default=0.3)
    assert out['kpt_thr'] == 0.3 and out['fraction_right'] is None
    assert out['rule'].startswith('fallback 0.3: ') and reason in out['rule']


def test_no_prediction_or_no_label_judges_nothing_or_all_wrong():
    s, right = judge_joints(np.zeros((0, 2, 2)), np.zeros((0, 2)), GT, AREA,
                            SIGMAS)
    assert len(s) == 0 and len(right) == 0
    s, right = judge_joints(np.zeros((1, 2, 2)), np.ones((1, 2)),
                            np.zeros((0, 2, 3)), np.zeros(0), SIGMAS)
    assert s.tolist() == [1.0, 1.0] and not right.any()
