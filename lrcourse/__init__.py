"""lrcourse: a hands-on course about the learning rate, and the small numpy library behind it.

``import lrcourse`` loads only numpy-based modules (schedules, optimizers, problems, the
training loop); plotting and widgets are imported on demand::

    import lrcourse
    from lrcourse import optimizers, problems, schedules
    h = lrcourse.run(problems.parabola(L=1.0), optimizers.sgd(lr=0.5), steps=20)
"""
from . import optimizers, problems, schedules
from .training import History, run

__version__ = "0.1.0"
__all__ = ["run", "History", "schedules", "optimizers", "problems", "__version__"]
