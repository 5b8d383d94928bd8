"""Test-time speed options applied once the checkpoint is loaded."""
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

from ...models.utils.test_time_options import (apply_test_time_options,
                                               check_test_time_options)


@HOOKS.register_module()
class TestTimeOptionsHook(Hook):
    """Apply :func:`apply_test_time_options` before the test loop.

    ``Runner.test`` loads the checkpoint after ``before_run`` and before
    ``before_test``, so conv + BN fusion here folds the loaded statistics.
    With a TTA model (``HeatmapAggregationTTA``) the options go to the
    wrapped estimator.

    Args:
        options (Sequence[str]): ``fuse_conv_bn``, ``channels_last``,
            ``compile``.
    """

    priority = 'VERY_HIGH'
    __test__ = False  # a hook, not a pytest test class

    def __init__(self, options: Sequence[str]):
        check_test_time_options(options)
        self.options = tuple(options)

    def before_test(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        estimator = getattr(model, 'module', model)  # a TTA model's estimator
        estimator.eval()
        apply_test_time_options(estimator, self.options)
        runner.logger.info(f'test-time options: {", ".join(self.options)}')
