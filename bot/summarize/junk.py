"""Sentences that are site furniture, not article: bylines, datelines, credits, prompts.

Boilerplate *lines* are removed earlier (``bot.extract.boilerplate``); what reaches the
summariser can still carry furniture inside a paragraph: a "(CNN) --" dateline glued to the
first sentence, "Scroll down for video" before a caption, a "By . Name ." byline split into
sentences, a "PUBLISHED: ... | UPDATED: ..." stamp. ``clean_sentence`` strips such prefixes;
``is_boilerplate`` says whether what is left is furniture through and through.
"""

from __future__ import annotations

import re

_AGENCY = (r"(?:CNN(?: Business| Politics)?|AP|AFP|UPI|Reuters|EFE|dpa|DPA|ANSA|PTI|IANS|AA|DHA"
           r"|IHA|KNA|APA|SDA|ATS|Lusa|Europa Press|Agência Brasil|Xinhua|Yonhap|Kyodo|TASS)")
_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁΑ-Ω"
_PREFIX_RE = re.compile(
    r"^(?:"
    # "(CNN)", "LONDON, England (CNN) --", "WASHINGTON (Reuters) -", "BERLIN (dpa) -"
    rf"(?:[A-Z][\w.,'’ -]{{0,40}}?\s*)?\({_AGENCY}\)\s*(?:\.?--|\.?—|\.?–|\.?-|:)?\s*"
    # datelines in capitals: "MADRID — ", "BUFFALO, N.Y. — ", "SÃO PAULO, 3 mai —", "NEW DELHI: "
    rf"|[{_UPPER}][{_UPPER}.'’ -]{{2,30}}(?:,\s*[\w.' ]{{1,25}}?){{0,2}}\s*(?:[—–]|--|-\s|:\s)\s*"
    # "Washington, DC, United States:" (a place and its region, then a colon)
    r"|[A-Z][\w.'’ -]{1,25},(?:\s*[A-Z][\w.'’ -]{1,25},)?\s*[A-Z][\w.'’ -]{1,25}:\s+(?=[A-Z])"
    # "(The Hollywood Reporter)Stan Freberg ...": a source credit in brackets, all capitalised
    r"|\((?:The\s+)?[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,4}\)\s*(?:--|—|–|-|:)?\s*(?=[A-Z\"“‘'])"
    r"|Scroll\s+down\s+(?:for|to\s+see)\s+(?:the\s+)?(?:videos?|more)\b\s*[.:-]?\s*"
    r"|(?:Advertisement|ADVERTISEMENT|Anzeige|Publicité|Publicidad|Publicidade|Reklam)\s+"
    # bullets: "- ", "• ", "* "
    r"|[-–•*·]\s+"
    # "05/10/2018 - Publicado por: Ana - Categoria: Saúde - Tags: sad " (metadata, then text)
    r"|(?:[\d/.:]+\s*[-–|]\s*)?(?:(?:Publicado por|Publicado em|Posted by|Posted in|Posted on"
    r"|Categorias?|Category|Categories|Kategorie|Catégorie|Categoría|Kategori|Tags|Etiquetas"
    r"|Schlagwörter|Étiquettes|Etiketler)\s*:\s*[^-–|:]{1,60}?"
    r"(?:\s*[-–|]\s*|\s+(?=[A-ZÀ-Ý]\w*\s+[a-zà-ÿ])))+"
    r")"
)
# Furniture recognised by how the sentence starts ...
_START_RE = re.compile(
    r"By\s*[.:]?\s*$"  # "By ." (a Daily Mail byline cut at its full stops)
    # "By Jane Doe, CNN", "Von Hans Meier", "Par Jean Dupont", "Por Ana Souza"
    r"|(?:By|Von|Par|Por|Di|Door)\s+(?:[A-Z][\w.'’-]*\s*(?:,|and|und|et|y|e|&|\|)?\s*){1,6}[.|]?$"
    r"|(?:Last\s+)?(?:[Uu]pdated|[Pp]ublished|[Pp]osted|Aktualisiert|Veröffentlicht|Mis à jour"
    r"|Publié|Actualizado|Publicado|Atualizado|Güncelleme|Yayınlanma)\s*(?:at|on|am|le|el|em"
    r"|:)?\s*[\d:]+"
    # a date and time and nothing else: "sexta-feira, 22 de outubro de 2010 às 20:13"
    r"|[\w-]+,\s+\d{1,2}\.?\s+(?:de\s+)?[\w]+\.?\s+(?:de\s+)?\d{4}(?:\s+(?:às|at|um|à|a las)"
    r"\s+\d{1,2}[:h]\d{2})?\s*$"
    r"|(?:Watch|WATCH|Ver|Regardez|Guarda|İzle)\b.{0,30}\b(?:video|vídeo|vidéo)\b.{0,40}$"
    r"|(?:Video|VIDEO|Vídeo)\s*:"
    r"|\(?(?:Photo|Photograph|Picture|Image|Video|Credit|Source)s?(?:\s+(?:credit|by))?\s*:"
    r"|Getty\s+Images\b|(?:Read|See)\s+more\s*:|(?:Related|RELATED|Watch|WATCH)\s*:"
)
# ... or by what it holds anywhere; searched only when one of the literal triggers occurs
# (one regex of unanchored alternatives costs ~20 us a sentence, the triggers ~1 us).
# fmt: off
_TRIGGERS = ("PUBLISHED", "UPDATED", "Image", "Photo", "Picture", "Getty", "AFP", "AP",
             "Reuters", "Click", "Follow", "rights", "©", "newsletter", "http", "www.", "@",
             "|", "commercial", "subscri", "Subscri", "Abonn", "abonn", "assinante",
             "suscriptor", "abone", "reserv", "vorbehalten", "saklı", "저작권", "Foto", "Bild",
             "video", "Video", "vídeo", "vidéo", "Watch", "READ", "MORE")
# fmt: on
_ANYWHERE_RE = re.compile(
    r"\b(?:PUBLISHED|UPDATED)\s*:"
    r"|\b(?:Image|Photo|Picture)\s+(?:copyright|caption|credit)\b"
    r"|\b(?:Getty Images|AFP|AP|Reuters)\s*\)?\s*$"
    r"|\bClick\s+here\b|\bFollow\s+(?:us|@)|\bAll\s+rights\s+reserved\b|©"
    r"|\b(?:[Ss]ign\s+up|[Ss]ubscribe)\b.{0,40}\bnewsletter\b"
    r"|https?://|\bwww\.\w"
    r"|[\w.+-]+@[\w-]+\.[\w.]{2,}"  # an e-mail address
    r"|\|[^|]*\|"  # two table pipes
    # paywall and licence notices
    r"|\bnon-commercial use\b|\bpresentation-ready copies\b|\b[Ss]ubscribe (?:now|today|to)\b"
    r"|\b(?:for|to) (?:our )?subscribers\b|\bAlready a subscriber\b"
    r"|\bnur für Abonnenten\b|\b[Jj]etzt abonnieren\b|\bréservé aux abonnés\b"
    r"|\bexclusivo para (?:suscriptores|assinantes)\b|\babonelere özel\b"
    r"|\bAll\s+rights\s+reserved\b|\bTodos os direitos reservados\b|\bAlle Rechte vorbehalten\b"
    r"|\bTous droits réservés\b|\bTodos los derechos reservados\b|\bTüm hakları saklıdır\b"
    r"|저작권자"
    r"|\((?:Photo|Foto|Bild|Image|Picture)s?\b[^)]{0,80}\)\s*$|^(?:Foto|Bild|Fotoğraf|Crédit)\s*:"
    r"|\b(?:Watch|WATCH)\b.{0,20}\b(?:video|VIDEO)\b|\bREAD MORE\b|\bSEE MORE\b"
)


# The Hill's hover cards, flattened into the sentence: "Gov. Kristi NoemKristi Lynn NoemSouth
# Dakota governor doubles down on ... MORE (R) is defending" -> "Gov. Kristi Noem (R) is ..."
_HOVER_CARD_RE = re.compile(r"(?<=[a-z])[A-Z][^.!?]{10,600}?\sMORE\b")
_TERMINALS = ".!?…。！？｡؟۔।॥။።։;"
_CLOSING = "\"'”’»)]」』）"
_UNPUNCTUATED = re.compile(r"[\u0E00-\u0E7F\u0E80-\u0EFF\u1780-\u17FF]")  # Thai, Lao, Khmer


def ends_like_a_sentence(sentence: str) -> bool:
    """A full stop, question or exclamation mark (of any script) at the end, before any
    closing quotes; scripts that mark sentences with a space (Thai, Lao, Khmer) always do."""
    s = sentence.rstrip().rstrip(_CLOSING)
    return bool(s) and (s[-1] in _TERMINALS or bool(_UNPUNCTUATED.search(s[-5:])))


def starts_like_a_sentence(sentence: str) -> bool:
    """Not in lower case (for scripts with case), not with a dash, pipe or comma."""
    first = sentence.lstrip("\"'“‘«(¿¡")[:1]
    return bool(first) and not first.islower() and first not in "-–—|,;:.…)"


def clean_sentence(sentence: str) -> str:
    """The sentence without dateline, agency tag or "Scroll down for video" in front."""
    s = _HOVER_CARD_RE.sub("", sentence.strip())
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
