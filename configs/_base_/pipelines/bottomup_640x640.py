# The codec and pipelines of a 640x640 input: those of bottomup_512x512.py
# (where each step is explained) with the input, heatmap and test resize
# sizes at 640.
_base_ = ['./bottomup_512x512.py']

codec = dict(input_size=(640, 640), heatmap_sizes=[(160, 160), (320, 320)])
train_pipeline = _base_.train_pipeline
train_pipeline[1].input_size = codec['input_size']  # BottomupRandomAffine
train_pipeline[3].encoder.update(codec)  # GenerateTarget
val_pipeline = _base_.val_pipeline
val_pipeline[1].input_size = 640  # BottomupOriginalResize
tta_pipeline = _base_.tta_pipeline
tta_pipeline[1].transforms[0] = [  # BottomupOriginalResize at each scale
    dict(resize, input_size=640) for resize in tta_pipeline[1].transforms[0]
]
