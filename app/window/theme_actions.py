"""The window part for View > Theme: System, Light or Dark, one checked at a time, kept in
the settings and applied at once to every widget, plot and the canvas
(:func:`app.theme.set_theme`)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu

from app.theme import THEMES, set_theme, theme_choice
from app.window.context import WindowContext

SETTING = "view/theme"
TEXTS = {"system": ("&System", "Follow the system's light or dark appearance"),
         "light": ("&Light", "Dark text on light panels"),
         "dark": ("&Dark", "Light text on dark panels")}


class ThemeActions(QObject):
    """The Theme submenu. A theme chosen earlier (Light or Dark) is applied when the window
    opens; System is what the application starts with."""

    def __init__(self, context: WindowContext, settings: QSettings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.menu = QMenu("&Theme", context.dialog_parent)
        self.menu.setObjectName("menuTheme")
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        for choice in THEMES:
            text, tip = TEXTS[choice]
            act = context.parts.action(f"actionTheme{choice.capitalize()}", text,
                                       lambda c=choice: self.choose(c), tip=tip)
            act.setCheckable(True)
            self.group.addAction(act)
            self.menu.addAction(act)
            self.actions[choice] = act
        stored = str(settings.value(SETTING, "system"))
        if stored in ("light", "dark") and stored != theme_choice():
            self.choose(stored)
        self.actions[theme_choice()].setChecked(True)

    def choose(self, choice: str) -> None:
        """Apply ``choice`` (one of :data:`app.theme.THEMES`) and remember it."""
        set_theme(QApplication.instance(), choice)
        self.settings.setValue(SETTING, choice)
        self.actions[choice].setChecked(True)
