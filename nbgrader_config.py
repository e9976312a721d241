"""nbgrader configuration for teachers who already use nbgrader.

lrcourse keeps one notebook per assignment in ``solutions/NN_slug/`` (nbgrader's "source")
and the generated student version in ``exercises/NN_slug/`` (nbgrader's "release").
With this file, ``nbgrader generate_assignment NN_slug`` run from the repository root
writes the same exercise as ``python -m lrcourse release``. See docs/teaching.md.
"""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
