"""Session-wide test setup: Qt runs headless, and float warnings are errors in the engine."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
