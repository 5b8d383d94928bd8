# The codec and pipelines of a 768x768 input: those of bottomup_512x512.py
# (where each step is explained) with the input, heatmap and test resize
# sizes at 768.
_base_ = ['./bottomup_512x512.py']

codec = dict(input_size=(768, 768), heatmap_sizes=[(192, 192), (384, 384)])
train_pipeline = _base_.train_pipeline
train_pipeline[1].input_size = codec['input_size']  # BottomupRandomAffine
train_pipeline[3].encoder.update(codec)  # GenerateTarget
val_pipeline = _base_.val_pipeline
val_pipeline[1].input_size = 768  # BottomupOriginalResize
tta_pipeline = _base_.tta_pipeline
tta_pipeline[1].transforms[0] = [  # BottomupOriginalResize at each scale
    dict(resize, input_size=768) for resize in tta_pipeline[1].transforms[0]
]
