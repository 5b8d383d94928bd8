"""An image where nothing is detected gives no COCO result records."""
import numpy as np

from higherhrnet_plugin.core.coco_results import person_records


def test_no_people_no_records():
    assert person_records(np.zeros((0, 5, 2)), np.zeros((0, 5)),
                          np.zeros((0, )), 3, 'a.jpg') == []
    records = person_records(np.ones((1, 5, 2)), np.ones((1, 5)), None, 3,
                             'a.jpg')
    assert len(records) == 1 and len(records[0]['keypoints']) == 15
