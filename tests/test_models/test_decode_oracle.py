"""Oracle: perfect heatmaps/tags rendered from COCO ground truth decode to
poses that CocoMetric scores at AP >= 0.99."""
import numpy as np
import torch
from _predict_utils import COCO, build_tiny, coco_dataset


def test_oracle_ap(tmp_path):
    from higherhrnet_plugin.codecs import AssociativeEmbeddingCodec
    from higherhrnet_plugin.models.heads.higherhrnet_head import \
        decode_aggregated
    from mmpose.evaluation import CocoMetric
    from mmpose.structures import PoseDataSample
    ds = coco_dataset([
        dict(type='LoadImage'),
        dict(type='BottomupOriginalResize', input_size=512),
        dict(type='PackPoseInputs',
             meta_keys=('id', 'img_id', 'img_path', 'ori_shape',
                        'img_shape', 'input_size', 'input_center',
                        'input_scale', 'flip_indices'))
    ])
    model, _ = build_tiny(False)
    metric = CocoMetric(
        ann_file=str(COCO / 'test_coco.json'),
        nms_mode='none',
        score_mode='bbox',
        outfile_prefix=str(tmp_path / 'oracle'))
    metric.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        sample = ds[i]['data_samples']
        meta = sample.metainfo
        w, h = meta['input_size']
        c = np.asarray(meta['input_center'], np.float64)
        s = np.asarray(meta['input_scale'], np.float64)
        kpts = (np.asarray(info['keypoints'], np.float64) - c + 0.5 * s) \
            / s * np.array([w, h])
        vis = np.asarray(info['keypoints_visible'])
        if vis.ndim == 3:
            vis = vis[..., 0]
        # heatmaps at the input resolution; + 0.5 so that int() is the
        # nearest pixel
        codec = AssociativeEmbeddingCodec(
            input_size=(w, h), heatmap_sizes=[(w, h)], sigma=2)
        enc = codec.encode(kpts + 0.5, vis)
        heat = torch.from_numpy(enc['heatmaps'][0])[None]
        # tags: person n's tag (n + 1) * 3 in a 5x5 window at its joints
        tags = np.zeros((17, h, w), np.float32)
        for n in range(len(kpts)):
            for k in range(17):
                if vis[n, k] <= 0:
                    continue
                x, y = (int(v) for v in kpts[n, k] + 0.5)
                if 0 <= x < w and 0 <= y < h:
                    tags[k, max(0, y - 2):y + 3, max(0, x - 2):x + 3] = \
                        (n + 1) * 3.0
        outputs = [torch.cat([heat, torch.from_numpy(tags)[None]], 1)]
        preds = decode_aggregated(model.head.decoder, [[outputs]], [1.0],
                                  (w, h), 17, None, (True, ))
        out = model.add_pred_to_datasample(preds, None,
                                           [PoseDataSample(metainfo=meta)])
        ds_dict = out[0].to_dict()
        ds_dict['gt_instances'] = {}
        metric.process([], [ds_dict])
    res = metric.compute_metrics(metric.results)
    assert res['AP'] >= 0.99, res
