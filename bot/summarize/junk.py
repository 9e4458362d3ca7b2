"""Sentences that are site furniture, not article: bylines, datelines, credits, prompts.

Boilerplate *lines* are removed earlier (``bot.extract.boilerplate``); what reaches the
summariser can still carry furniture inside a paragraph: a "(CNN) --" dateline glued to the
first sentence, "Scroll down for video" before a caption, a "By . Name ." byline split into
sentences, a "PUBLISHED: ... | UPDATED: ..." stamp. ``clean_sentence`` strips such prefixes;
``is_boilerplate`` says whether what is left is furniture through and through.
"""

from __future__ import annotations

import re

_AGENCY = r"(?:CNN|AP|AFP|UPI|Reuters|EFE|dpa|ANSA|PTI|IANS)"
_PREFIX_RE = re.compile(
    r"^(?:"
    # "(CNN)", "LONDON, England (CNN) --", "WASHINGTON (Reuters) -"
    rf"(?:[A-Z][\w.,'’ -]{{0,40}}?\s*)?\({_AGENCY}\)\s*(?:--|—|–|-|:)?\s*"
    # "(The Hollywood Reporter)Stan Freberg ...": a source credit in brackets, all capitalised
    r"|\((?:The\s+)?[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,4}\)\s*(?:--|—|–|-|:)?\s*(?=[A-Z\"“‘'])"
    r"|Scroll\s+down\s+(?:for|to\s+see)\s+(?:the\s+)?(?:videos?|more)\b\s*[.:-]?\s*"
    r"|(?:Advertisement|ADVERTISEMENT)\s+"
    r")"
)
# Furniture recognised by how the sentence starts ...
_START_RE = re.compile(
    r"By\s*[.:]?\s*$"  # "By ." (a Daily Mail byline cut at its full stops)
    r"|By\s+(?:[A-Z][\w.'’-]*\s*(?:,|and|&|\|)?\s*){1,6}[.|]?$"  # "By Jane Doe, CNN"
    r"|(?:Last\s+)?(?:[Uu]pdated|[Pp]ublished|[Pp]osted)\s*(?:at|on|:)?\s*[\d:]+"
    r"|\(?(?:Photo|Photograph|Picture|Image|Video|Credit|Source)s?(?:\s+(?:credit|by))?\s*:"
    r"|Getty\s+Images\b|(?:Read|See)\s+more\s*:|(?:Related|RELATED|Watch|WATCH)\s*:"
)
# ... or by what it holds anywhere; searched only when one of the literal triggers occurs
# (one regex of unanchored alternatives costs ~20 us a sentence, the triggers ~1 us).
# fmt: off
_TRIGGERS = ("PUBLISHED", "UPDATED", "Image", "Photo", "Picture", "Getty", "AFP", "AP",
             "Reuters", "Click", "Follow", "rights", "©", "newsletter", "http", "www.")
# fmt: on
_ANYWHERE_RE = re.compile(
    r"\b(?:PUBLISHED|UPDATED)\s*:"
    r"|\b(?:Image|Photo|Picture)\s+(?:copyright|caption|credit)\b"
    r"|\b(?:Getty Images|AFP|AP|Reuters)\s*\)?\s*$"
    r"|\bClick\s+here\b|\bFollow\s+(?:us|@)|\bAll\s+rights\s+reserved\b|©"
    r"|\b(?:[Ss]ign\s+up|[Ss]ubscribe)\b.{0,40}\bnewsletter\b"
    r"|https?://|\bwww\.\w"
)


def clean_sentence(sentence: str) -> str:
    """The sentence without dateline, agency tag or "Scroll down for video" in front."""
    s = sentence.strip()
    while True:
        m = _PREFIX_RE.match(s)
        if not m or m.end() == 0:
            return s
        s = s[m.end() :].lstrip()


_CAPTION_LEAD_RE = re.compile(r"\s*Scroll\s+down\s+(?:for|to\s+see)\b")


def leads_into_caption(sentence: str) -> bool:
    """ "Scroll down for video" is followed by a photo caption, glued to the next sentence."""
    return bool(_CAPTION_LEAD_RE.match(sentence))


def is_boilerplate(sentence: str) -> bool:
    """True for bylines, time stamps, photo credits, share prompts and links."""
    if _START_RE.match(sentence):
        return True
    return any(t in sentence for t in _TRIGGERS) and bool(_ANYWHERE_RE.search(sentence))
