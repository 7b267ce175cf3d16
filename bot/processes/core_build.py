"""The conversation core on the configured database, built alike in the bot's process (bot/serve.py puts
it in a Runtime) and in each core process (bot/processes/core_child.py). A module of its own so that a core
process needs nothing of the entry point: bot/serve.py starts the front ends, which start the core
processes, which would otherwise import bot/serve.py back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.i18n.translator import load_translations
from bot.wiring import App, build_app
from handlers.conversations.core import Core
from handlers.ports import Clock, Translator
from handlers.text import Lang


@dataclass(frozen=True)
class BuiltCore:
    app: App
    core: Core
    translators: Callable[[Lang], Translator]


def build_core(settings: Settings, migrate: bool = True, clock: Clock | None = None) -> BuiltCore:
    app = build_app(settings, clock=clock, migrate=migrate)
    translations = load_translations(tz=settings.zone)
    return BuiltCore(app, Core(app.ctx, translations), translations.for_lang)
