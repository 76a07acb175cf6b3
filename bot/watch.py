"""Saved-paper watch: what changed in a paper a chat saved with ⭐, and the note that says so.

A reader who saved a paper wants to hear when it gets a new version, a journal reference or a
DOI, once, and not each time arXiv lists it again (a replacement is announced on several days,
the feed is fetched again, the bot restarts). So each chat's saved row keeps what that chat
knows of the paper (`PaperState`, set when it saved it); a stored paper is compared with it,
and the note is queued in the same transaction that updates what the chat knows
(bot.ingest). This module is the pure part: the comparison, what the chat knows afterwards, and
the note's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import t
from bot.render.latex import latex_to_text
from bot.render.telegram import escape
from bot.text import cut_text, normalize_space

TITLE_LIMIT = 200
# Journal references and DOIs are free text authors type into arXiv's form: bounded, so a
# note stays a short line whatever they wrote.
FIELD_LIMIT = 200

# A DOI written as a link or with a "doi:" label is the same DOI.
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
# Between the journal references a chat was told, in what it knows: a control character XML
# cannot carry, so no reference from a feed or the API contains it.
JOURNAL_SEPARATOR = "\x1e"


@dataclass(frozen=True)
class PaperState:
    """A paper's version, journal reference and DOI: as stored, or as a chat knows it.

    As a chat knows it, `journal_ref` holds every reference it was told (`JOURNAL_SEPARATOR`
    between them) and `doi` every DOI, so a source that disagrees with another (the feed and
    the API, a reference later corrected and corrected back) is news once per reference.
    `version` None means the chat saved the paper before the bot stored it: it has no baseline
    yet, and learns one without a note.
    """

    version: int | None = None
    journal_ref: str | None = None
    doi: str | None = None


@dataclass(frozen=True)
class PaperChange:
    """What a chat has not been told: each field None when it did not change."""

    version: int | None = None
    was_version: int | None = None
    journal_ref: str | None = None
    doi: str | None = None


def journal_key(journal_ref: str | None) -> str:
    """A journal reference as compared: case, spacing and a trailing full stop do not make a
    new publication."""
    return normalize_space(journal_ref or "").casefold().rstrip(" .;,")


def told_journals(journal_refs: str | None) -> frozenset[str]:
    """The journal references a chat knows, as compared (`journal_key`)."""
    keys = (journal_key(ref) for ref in (journal_refs or "").split(JOURNAL_SEPARATOR))
    return frozenset(key for key in keys if key)


def doi_keys(doi: str | None) -> frozenset[str]:
    """The DOIs in arXiv's DOI field (several are separated by spaces), as compared: DOIs are
    case-insensitive, and a `https://doi.org/` link or `doi:` label is the same DOI."""
    keys = (_DOI_PREFIX.sub("", token).casefold() for token in (doi or "").split())
    return frozenset(key for key in keys if key)


def what_changed(known: PaperState, stored: PaperState) -> PaperChange | None:
    """What the stored paper says that the chat does not know yet; None when nothing.

    A version older than the chat's, or a reference or DOI the chat was told, is no news; a
    stored paper without the reference or DOI the chat knows (a source that omits them) is not
    news either: a paper does not lose its publication.
    """
    if known.version is None or stored.version is None or stored.version < known.version:
        return None
    newer = stored.version > known.version
    journal = journal_key(stored.journal_ref)
    new_journal = bool(journal) and journal not in told_journals(known.journal_ref)
    new_doi = bool(doi_keys(stored.doi) - doi_keys(known.doi))
    if not (newer or new_journal or new_doi):
        return None
    return PaperChange(
        version=stored.version if newer else None,
        was_version=known.version if newer else None,
        journal_ref=normalize_space(stored.journal_ref or "") if new_journal else None,
        doi=normalize_space(stored.doi or "") if new_doi else None,
    )


def now_known(known: PaperState, stored: PaperState) -> PaperState:
    """What the chat knows once told (or, without a baseline, once it learned it silently).

    The version only moves forward, and every reference and DOI once told stays known, so
    seeing again any state the chat has seen is no news, whatever the order.
    """
    if known.version is None:
        return stored
    if stored.version is None or stored.version < known.version:
        return known
    journals = [ref for ref in (known.journal_ref or "").split(JOURNAL_SEPARATOR) if ref]
    if journal_key(stored.journal_ref) not in told_journals(known.journal_ref) | {""}:
        journals.append(normalize_space(stored.journal_ref or ""))
    dois = doi_keys(known.doi) | doi_keys(stored.doi)
    return PaperState(
        version=stored.version,
        journal_ref=JOURNAL_SEPARATOR.join(journals) or None,
        doi=" ".join(sorted(dois)) or None,
    )


def _doi_links(doi: str) -> str:
    shown = []
    for token in cut_text(doi, FIELD_LIMIT).split():
        key = _DOI_PREFIX.sub("", token)
        if key.startswith("10."):
            href = escape(f"https://doi.org/{key}").replace('"', "&quot;")
            shown.append(f'<a href="{href}">{escape(key)}</a>')
        else:
            shown.append(escape(token))
    return " ".join(shown)


def note_text(
    change: PaperChange, *, arxiv_id: str, title: str, version: int | None, lang: str
) -> str:
    """The one short note a chat gets (Telegram HTML, interface words in `lang`): which saved
    paper, what changed, and the link to its abstract page."""
    parts: list[str] = []
    if change.version is not None:
        parts.append(t("watch_version", lang, version=change.version, was=change.was_version))
    if change.journal_ref:
        ref = escape(cut_text(latex_to_text(change.journal_ref), FIELD_LIMIT))
        parts.append(t("watch_journal", lang, ref=ref))
    if change.doi:
        parts.append(t("watch_doi", lang, doi=_doi_links(change.doi)))
    shown_title = cut_text(normalize_space(latex_to_text(title)), TITLE_LIMIT) or arxiv_id
    cited = f"{arxiv_id}v{version}" if version is not None else arxiv_id
    link = f'<a href="https://arxiv.org/abs/{escape(arxiv_id)}">arXiv:{escape(cited)}</a>'
    return t(
        "watch_updated",
        lang,
        title=escape(shown_title),
        changes=t("watch_separator", lang).join(parts),
        link=link,
    )
