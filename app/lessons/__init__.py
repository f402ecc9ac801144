"""The lessons in the window: Help > Lessons… opens a panel beside the canvas with a lesson's
text and steps (:mod:`app.lessons.part`); each step's button applies its edits to the
project as one undo step and shows the view to watch (:mod:`app.lessons.watch`)."""
