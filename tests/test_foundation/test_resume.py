"""MMEngine checkpoints resume under torch>=2.6 (weights_only by default)."""
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, inputs, targets, mode='tensor'):
        loss = ((self.linear(inputs) - targets)**2).mean()
        return dict(loss=loss) if mode == 'loss' else loss


class ToyData(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        return dict(inputs=torch.randn(2, generator=g),
                    targets=torch.randn(1, generator=g))


def make_runner(work_dir, max_epochs, resume):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=ToyData(), batch_size=4,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        randomness=dict(seed=0),
        resume=resume,
        default_scope='mmengine',
        experiment_name=f'toy_{max_epochs}_{resume}')


def test_runner_saves_and_resumes(tmp_path):
    first = make_runner(tmp_path, max_epochs=2, resume=False)
    first.train()
    weights = first.model.linear.weight.detach().clone()
    assert (tmp_path / 'epoch_2.pth').is_file()

    second = make_runner(tmp_path, max_epochs=3, resume=True)
    second.train()  # loads epoch_2.pth, message hub and optimizer included
    assert second.iter == 6 and second.epoch == 3
    assert not torch.equal(second.model.linear.weight, weights)
    ckpt = torch.load(tmp_path / 'epoch_2.pth', weights_only=False)
    assert ckpt['meta']['iter'] == 4
