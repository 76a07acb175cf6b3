"""What handlers and jobs share, built once per process, and the typed context that carries it.

Handlers reach everything through `context.services` (python-telegram-bot's custom-context
pattern, as in its contexttypesbot.py example), so neither `bot.app` nor `handlers` imports the
other to find it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.config import Settings
from bot.flood import FloodGuard, press_quota, search_quota
from bot.ranking import Ranking
from bot.sender import Sender
from bot.sources.search import ArxivSearch
from bot.translate import TranslationService
from storage.database import Store


@dataclass
class Services:
    """The settings, the store and the long-lived clients, kept in `application.bot_data`."""

    settings: Settings
    store: Store
    translator: TranslationService
    search: ArxivSearch
    sender: Sender
    ranking: Ranking
    flood: FloodGuard = field(default_factory=FloodGuard)  # commands and messages
    presses: FloodGuard = field(default_factory=press_quota)  # buttons and reactions
    search_quota: FloodGuard = field(default_factory=search_quota)
    # Set by SIGINT/SIGTERM/SIGABRT: a stop asked for before the application ran is carried
    # out as soon as it does.
    stop_asked: threading.Event = field(default_factory=threading.Event)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context every handler and job gets: python-telegram-bot's, plus `services`."""

    @property
    def services(self) -> Services:
        """The Services `bot.app.build_application` stored for this application."""
        found: Services = self.bot_data["services"]
        return found


CONTEXT_TYPES: ContextTypes[BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any]] = (
    ContextTypes(context=BotContext)
)


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The Services of an application (jobs' and start-up hooks' way in)."""
    found: Services = application.bot_data["services"]
    return found
