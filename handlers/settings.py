"""/settings (an inline keyboard) and the direct forms /lang, /time, /timezone.

Callback data: `set:menu`, `set:l` (language menu), `set:l:CODE`, `set:t` (time menu),
`set:t:HH:MM`, `set:z` (time zone menu), `set:z:ZONE`, `set:max`, `set:cross`, `set:repl`,
`set:sum`, `set:nm`, `set:na`, `set:ui`. All stay far under 64 bytes (the longest IANA name is
32 characters).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import languages
from bot.chat_settings import SettingError, parse_language, parse_time, parse_timezone
from bot.i18n import t, ui_language_name
from bot.render.telegram import echo, escape
from handlers.common import (
    Context,
    command_args,
    edit,
    may_change_settings,
    register_chat,
    reply,
    services,
)
from storage import chats
from storage.chats import Chat

TIMES = ("06:00", "07:00", "08:00", "08:30", "09:00", "10:00", "12:00", "18:00", "21:00")
ZONES = (
    "Asia/Shanghai", "Asia/Tokyo", "Asia/Kolkata", "Europe/London", "Europe/Berlin",
    "America/New_York", "America/Chicago", "America/Los_Angeles", "UTC",
)  # fmt: skip
MAX_PAPERS = (5, 10, 20, 30, 50)


def _on(value: bool, lang: str) -> str:
    return t("on" if value else "off", lang)


def settings_view(chat: Chat) -> tuple[str, InlineKeyboardMarkup]:
    """The settings message and its keyboard for a chat."""
    lang = chat.ui_language

    def button(label: str, data: str) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(label, callback_data=data)]

    rows = [
        button(f"🌐 {t('set_language', lang)}: {languages.native_name(chat.language)}", "set:l"),
        button(f"🕘 {t('set_time', lang)}: {chat.delivery_time}", "set:t"),
        button(f"🌍 {t('set_timezone', lang)}: {chat.timezone}", "set:z"),
        button(f"📄 {t('set_max', lang)}: {chat.max_papers}", "set:max"),
        button(f"↔ {t('set_cross', lang)}: {_on(chat.include_cross, lang)}", "set:cross"),
        button(
            f"🔁 {t('set_replacements', lang)}: {_on(chat.include_replacements, lang)}", "set:repl"
        ),
        button(f"💡 {t('set_summaries', lang)}: {_on(chat.summaries, lang)}", "set:sum"),
        button(f"🔕 {t('set_no_matches', lang)}: {_on(chat.notify_no_matches, lang)}", "set:nm"),
        button(
            f"📭 {t('set_no_announcement', lang)}: {_on(chat.notify_no_announcement, lang)}",
            "set:na",
        ),
        button(f"🗣 {t('set_interface', lang)}: {ui_language_name(lang)}", "set:ui"),
    ]
    return t("settings_title", lang), InlineKeyboardMarkup(rows)


def _choices(
    kind: str, values: tuple[str, ...], lang: str, hint: str
) -> tuple[str, InlineKeyboardMarkup]:
    """A menu of values, three a row; languages show their native names."""

    def label(value: str) -> str:
        return languages.native_name(value) if kind == "l" else value

    rows = [
        [InlineKeyboardButton(label(v), callback_data=f"set:{kind}:{v}") for v in values[i : i + 3]]
        for i in range(0, len(values), 3)
    ]
    rows.append([InlineKeyboardButton(t("browser_back_settings", lang), callback_data="set:menu")])
    return t(hint, lang), InlineKeyboardMarkup(rows)


async def settings(update: Update, context: Context) -> None:
    """`/settings`: every setting as a button."""
    chat = register_chat(update, context)
    text, keyboard = settings_view(chat)
    await reply(update, context, text, reply_markup=keyboard)


async def _set(update: Update, context: Context, chat: Chat, **change: object) -> Chat:
    updated = chats.update_chat(services(context).store, chat.chat_id, **change)
    assert updated is not None
    return updated


async def _direct(
    update: Update,
    context: Context,
    *,
    field: str,
    parse: object,
    usage: str,
    done: str,
) -> None:
    chat = register_chat(update, context)
    lang = chat.ui_language
    text = command_args(context).strip()
    if not text:
        await reply(update, context, t(usage, lang, current=escape(str(getattr(chat, field)))))
        return
    if not await may_change_settings(update, context, chat):
        return
    try:
        value = parse(text)  # type: ignore[operator]
    except SettingError as exc:
        message = t(usage, lang, current=escape(str(getattr(chat, field))))
        if exc.suggestions:
            hint = ", ".join(f"<code>{escape(s)}</code>" for s in exc.suggestions)
            message = t("did_you_mean", lang, suggestions=hint).strip() + "\n" + message
        await reply(update, context, f"❓ <code>{echo(text)}</code>\n{message}")
        return
    await _set(update, context, chat, **{field: value})
    await reply(update, context, t(done, lang, value=escape(value)))


async def lang(update: Update, context: Context) -> None:
    """`/lang zh-CN`: the digest language."""
    await _direct(
        update, context, field="language", parse=parse_language, usage="lang_usage", done="lang_set"
    )


async def time(update: Update, context: Context) -> None:
    """`/time 08:30`: the local delivery time."""
    await _direct(
        update,
        context,
        field="delivery_time",
        parse=parse_time,
        usage="time_usage",
        done="time_set",
    )


async def timezone(update: Update, context: Context) -> None:
    """`/timezone Europe/Berlin` (or `+8`): the chat's time zone."""
    await _direct(
        update,
        context,
        field="timezone",
        parse=parse_timezone,
        usage="timezone_usage",
        done="timezone_set",
    )


async def settings_button(update: Update, context: Context) -> None:
    """Every `set:` button: open a menu, choose a value, or toggle."""
    query = update.callback_query
    assert query is not None
    chat = register_chat(update, context)
    lang = chat.ui_language
    parts = (query.data or "").split(":", 2)
    action = parts[1] if len(parts) > 1 else ""
    value = parts[2] if len(parts) > 2 else None
    menus = {
        "l": ("l", tuple(language.code for language in languages.MENU), "lang_menu"),
        "t": ("t", TIMES, "time_menu"),
        "z": ("z", ZONES, "timezone_menu"),
    }
    if action in menus and value is None:
        await query.answer()
        text, keyboard = _choices(*menus[action][:2], lang, menus[action][2])
        await edit(update, context, text, reply_markup=keyboard)
        return
    if action != "menu" and not await may_change_settings(update, context, chat):
        return
    try:
        if action == "l" and value is not None:
            chat = await _set(update, context, chat, language=parse_language(value))
        elif action == "t" and value is not None:
            chat = await _set(update, context, chat, delivery_time=parse_time(value))
        elif action == "z" and value is not None:
            chat = await _set(update, context, chat, timezone=parse_timezone(value))
        elif action == "max":
            following = [n for n in MAX_PAPERS if n > chat.max_papers]
            chat = await _set(update, context, chat, max_papers=(following or MAX_PAPERS)[0])
        elif action == "cross":
            chat = await _set(update, context, chat, include_cross=not chat.include_cross)
        elif action == "repl":
            chat = await _set(
                update, context, chat, include_replacements=not chat.include_replacements
            )
        elif action == "sum":
            chat = await _set(update, context, chat, summaries=not chat.summaries)
        elif action == "nm":
            chat = await _set(update, context, chat, notify_no_matches=not chat.notify_no_matches)
        elif action == "na":
            chat = await _set(
                update, context, chat, notify_no_announcement=not chat.notify_no_announcement
            )
        elif action == "ui":
            chat = await _set(update, context, chat, ui_language="en" if lang == "zh" else "zh")
        elif action != "menu":
            raise SettingError(query.data or "")
    except SettingError:
        await query.answer()  # forged or stale data
        return
    await query.answer()
    text, keyboard = settings_view(chat)
    await edit(update, context, text, reply_markup=keyboard)
