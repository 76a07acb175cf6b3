"""/settings (an inline keyboard) and the direct forms /lang, /time, /timezone.

Callback data: `set:menu`, `set:l` (language menu), `set:l:CODE`, `set:t` (time menu),
`set:t:HH:MM`, `set:z` (time zone menu), `set:z:ZONE`, `set:max`, `set:cross`, `set:repl`,
`set:sum`, `set:nm`, `set:na`, `set:ui`, `set:rt` (ranking threshold). All stay far under 64
bytes (the longest IANA name is 32 characters).
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import languages
from bot.chat_settings import (
    SettingError,
    daylight_saving,
    parse_language,
    parse_time,
    parse_timezone,
    resolve_timezone,
    zone_label,
)
from bot.i18n import t, ui_language_name
from bot.rank_order import parse_threshold
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
        button(f"🌍 {t('set_timezone', lang)}: {zone_label(chat.timezone)}", "set:z"),
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
        button(
            f"🧭 {t('set_threshold', lang)}: "
            f"{t(f'threshold_{parse_threshold(chat.rank_threshold).value}', lang)}",
            "set:rt",
        ),
    ]
    return t("settings_title", lang), InlineKeyboardMarkup(rows)


def _choices(
    kind: str, values: tuple[str, ...], lang: str, hint: str
) -> tuple[str, InlineKeyboardMarkup]:
    """A menu of values, three a row; languages show their native names."""

    def label(value: str) -> str:
        if kind == "l":
            return languages.native_name(value)
        return zone_label(value) if kind == "z" else value

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


def _wrong(key: str, lang: str, typed: str, current: str, exc: SettingError) -> str:
    """The reply to a value that cannot be used: what was typed, what is expected, the current
    value, and close matches when there are any."""
    message = t(key, lang, typed=echo(typed), current=escape(current))
    if exc.suggestions:
        hint = ", ".join(f"<code>{escape(s)}</code>" for s in exc.suggestions)
        message += "\n" + t("did_you_mean", lang, suggestions=hint).strip()
    return message


async def _direct(
    update: Update,
    context: Context,
    *,
    field: str,
    parse: Callable[[str, str], str],
    keys: tuple[str, str, str],
    confirm: Callable[[str, str, str], str] | None = None,
) -> None:
    """The shared form of /lang, /time and /timezone: no argument shows the current value and
    how to change it; a wrong one says what is expected. `keys` are the usage, wrong and done
    messages; `confirm(typed, value, lang)` replaces the done message when given."""
    usage, wrong, done = keys
    chat = register_chat(update, context)
    lang = chat.ui_language
    text = command_args(context).strip()
    current = str(getattr(chat, field))
    shown = zone_label(current) if field == "timezone" else current
    if not text:
        await reply(update, context, t(usage, lang, current=escape(shown)))
        return
    if not await may_change_settings(update, context, chat):
        return
    try:
        value = parse(text, lang)
    except SettingError as exc:
        await reply(update, context, _wrong(wrong, lang, text, shown, exc))
        return
    await _set(update, context, chat, **{field: value})
    message = confirm(text, value, lang) if confirm else t(done, lang, value=escape(value))
    await reply(update, context, message)


def timezone_confirmation(typed: str, lang: str) -> str:
    """The reply to a time zone set: the zone as a reader knows it, how an abbreviation was read,
    whether it follows daylight saving, and the other zones the input can mean."""
    choice = resolve_timezone(typed, lang)
    lines = [t("timezone_set", lang, value=escape(choice.shown))]
    if choice.abbreviation and choice.abbreviation != choice.shown:
        lines.append(
            t(
                "timezone_abbreviation",
                lang,
                abbreviation=escape(choice.abbreviation),
                zone=escape(choice.shown),
            )
        )
    seasons = daylight_saving(choice.zone)
    if seasons:
        lines.append(t("timezone_dst", lang, standard=seasons[0], summer=seasons[1]))
    elif choice.fixed_offset and choice.zone.startswith("Etc/"):
        lines.append(t("timezone_fixed", lang))
    if choice.alternatives:
        commands = " · ".join(
            f"<code>/timezone {escape(zone)}</code>" for zone in choice.alternatives
        )
        lines.append(t("timezone_alternatives", lang, commands=commands))
    return "\n".join(lines)


async def lang(update: Update, context: Context) -> None:
    """`/lang zh-CN`: the digest language."""
    await _direct(
        update,
        context,
        field="language",
        parse=lambda text, _lang: parse_language(text),
        keys=("lang_usage", "lang_wrong", "lang_set"),
    )


async def time(update: Update, context: Context) -> None:
    """`/time 08:30` (or `8`, `8pm`, `20h`): the local delivery time."""
    await _direct(
        update,
        context,
        field="delivery_time",
        parse=lambda text, _lang: parse_time(text),
        keys=("time_usage", "time_wrong", "time_set"),
    )


async def timezone(update: Update, context: Context) -> None:
    """`/timezone Europe/Berlin` (or `Beijing`, `EST`, `UTC+8`): the chat's time zone."""
    await _direct(
        update,
        context,
        field="timezone",
        parse=lambda text, lang: resolve_timezone(text, lang).zone,
        keys=("timezone_usage", "timezone_wrong", "timezone_set"),
        confirm=lambda typed, _value, lang: timezone_confirmation(typed, lang),
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
        elif action == "rt":
            threshold = parse_threshold(chat.rank_threshold).following
            chat = await _set(update, context, chat, rank_threshold=threshold.value)
        elif action != "menu":
            raise SettingError(query.data or "")
    except SettingError:
        await query.answer()  # forged or stale data
        return
    if action == "rt":
        # What the new value does, in a line: the button's label alone cannot say it.
        await query.answer(t(f"threshold_explained_{chat.rank_threshold}", lang))
    else:
        await query.answer()
    text, keyboard = settings_view(chat)
    await edit(update, context, text, reply_markup=keyboard)
