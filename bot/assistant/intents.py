"""What a plain message asks for: a request in words ("save paper 1", "also follow X", "send
it at 7:30", "pausiere bitte", "sígueme X") or a question about the papers. Pure: text in,
an Intent out, in English, German, Spanish and French, typos forgiven (one letter off a
keyword). Carrying an intent out is bot/assistant/requests.py.

Every pattern here runs on what a reader typed: each is linear (no nested or adjacent
overlapping quantifiers) and runs on at most MAX_CHARS characters."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from bot.ranking.embedders import MODEL_DIR
from bot.sources.bibliography import parse_ids
from bot.text import STOP_WORDS, one_edit_apart

MAX_CHARS = 2000
LAST = -1  # "the last one": the digest's last paper, whatever its length

# Request verbs and nouns, by intent; a typed word one letter off one of these is read as it.
KEYWORDS = {
    "save": "save star bookmark favorite favourite keep speichern speicher merken merk merke "
    "guarda guardar guardalo guardame marca enregistre garde sauvegarde",
    "unsave": "unsave unstar unbookmark",
    "follow": "follow add subscribe track folge folgen hinzufugen hinzu sigueme sigue seguir "
    "anade agrega agregar suis suivre ajoute ajouter abonne",
    "unfollow": "unfollow unsubscribe remove drop delete entferne entfernen raus quita quitar "
    "entfolgen ausblenden abbestellen "
    "elimina borra retire retirer supprime enleve",
    "pause": "pause pausier pausiere pausieren pausa pausar mute hold urlaub vacation holiday "
    "holidays vacaciones vacances break",
    "resume": "resume unpause weiter fortsetzen reanuda reanudar reprends reprendre",
    "digest": "digest digests papers paper today todays heute heutige heutigen hoy "
    "aujourd'hui resumen",
    "why": "why warum wieso weshalb pourquoi pick picked choose chose chosen",
    "not_interested": "interested interessiert interesa interesse",
    "undo": "undo nevermind ruckgangig deshacer annule annuler",
    "time": "send sending deliver schick schicke envia enviar manda mandame envoie",
    "timezone": "timezone zeitzone moved live living wohne umgezogen vivo mude demenage habite",
    "import": "import importiere importa importe",
}
VOCABULARY = frozenset(w for words in KEYWORDS.values() for w in words.split())
# Chat shorthand, read as the word it stands for.
SHORTHAND = {
    "u": "you", "ur": "your", "pls": "please", "plz": "please", "thx": "thanks",
    "ty": "thanks", "q": "que", "qe": "que", "xq": "porque", "pq": "porque", "bc": "because",
    "rn": "now", "tmrw": "tomorrow", "abt": "about", "w/": "with",
}  # fmt: skip
# Common words one letter off a keyword ("have"/"save", "like"/"live") are left alone.
COMMON = STOP_WORDS | frozenset(
    "like have gave give take make made case cause came come same some more less life love "
    "live safe sage base data date gate late rate kept deep need seem sent rent tent told "
    "hole bold gold sold mold fold held hell help keen seen mean lead read real deal hear "
    "near year dear part past last fast most post host lost cost list lose nose note vote "
    "pose rose dose mode code node nice rice once ones tone done gone none dont wont cant "
    "form from fore more mire mine fine line mile file tile hola pasa paso casa cosa esta "
    "este todo nada mira sera para pero como hier sind soll will kann mais sans plus tous "
    "tout elle sont avec sera".split()
)

FILLERS = (
    r"(?:ok(?:ay)?|so|hey|hi|also|and|pls|please|plz|bitte|por\s+favor|porfa|stp|svp|"
    r"s'il\s+te\s+plait|can\s+you|could\s+you|would\s+you|will\s+you|kannst\s+du|"
    r"tell\s+me|dime|sag\s+mir|dis[-\s]moi|"
    r"konntest\s+du|puedes|podrias|peux[-\s]tu|tu\s+peux|i\s+want\s+to|i'd\s+like\s+to|"
    r"i\s+wanna|just|now|then|oh|yeah|yes|ja|si|oui|sure|alright|fine|well|actually|"
    r"rather|mejor|besser|plutot|quiero|ich\s+will|ich\s+mochte|je\s+veux|je\s+voudrais)"
)
_LEAD = re.compile(r"^(?:" + FILLERS + r"[\s,!.]+){0,4}")

# "paper 2", "papers 1 and 3", "p4", "#3", "no. 2", "artikel 2", "l'article 1", "le 1"
_NUMBERED = re.compile(
    r"(?:\b(?:papers?|paper\s+no\.?|papier|papiers|artikel|articulo|article|nr\.?|no\.?|"
    r"numero|number|nummer|el|le|la|das|den|der)\s*|#|\bp)(\d{1,2})\b"
)
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "erste": 1, "ersten": 1, "zweite": 2, "zweiten": 2, "dritte": 3, "dritten": 3,
    "vierte": 4, "vierten": 4, "funfte": 5, "funften": 5, "primero": 1, "primer": 1,
    "segundo": 2, "tercero": 3, "tercer": 3, "cuarto": 4, "quinto": 5, "premier": 1,
    "premiere": 1, "deuxieme": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5,
}  # fmt: skip
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b")
_LAST_ONE = re.compile(r"\b(?:last|letzte|letzten|ultimo|dernier|derniere)\b")
_BACK = re.compile(
    r"\b(?:it|this|that|this\s+one|that\s+one|this\s+paper|that\s+paper|the\s+paper|es|"
    r"dieses|diesen|das\s+paper|lo|la|le|ce\s+papier|cet\s+article)\b|"
    r"\b(?:guardalo|guardala|garde-le)\b"
)
_TIME = re.compile(r"\b(\d{1,2})(?:[:.h](\d{2}))?\s*(am\b|pm\b|a\.m\.|p\.m\.|uhr\b|h\b)?(?![\d.:])")
_QUESTION_START = re.compile(
    r"^(?:what|what's|whats|wat|how|which|who|where|when|does|do|did|is|are|was|were|"
    r"explain|summari[sz]e|compare|tell\s+me|tl;?dr|was|wie|welche|welcher|wer|worum|"
    r"erklar|erklare|gibt\s+es|que|qué|como|cual|cuales|quien|cuantos|cuantas|"
    r"resume(?!\s+(?:the\s+|my\s+)?(?:digests?|sending|deliver\w*|please|pls)\b|\s*$)|"
    r"qu'est-ce|quel|quelle|quels|quelles|comment|combien|est-ce)\b"
)


@dataclass(frozen=True)
class Intent:
    kind: str  # question, save, unsave, rate (slot "up"/"down"), unrate, follow, unfollow,
    # not_interested, set_time, set_timezone, set_papers, pause, resume, digest, why,
    # more_like, import, smalltalk, command (a command typed without its slash: slot),
    # ambiguous
    papers: tuple[int, ...] = ()  # digest numbers named (LAST: the last one)
    refers_back: bool = False  # "it", "that one": the paper of the last turn
    slot: str = ""  # a topic, a time "HH:MM"-ish text, a place
    ids: tuple[str, ...] = ()  # arXiv ids to import
    options: tuple[str, ...] = field(default=())  # for ambiguous: the readings to offer
    raw: str = ""  # the message, normalised (what the words around the slot said)


def normalise(text: str) -> str:
    """Lower case, accents off, typographic quotes plain, each word one letter off a
    request keyword read as that keyword."""
    text = unicodedata.normalize("NFKD", text[:MAX_CHARS].lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("ß", "ss")
    text = re.sub(r"[a-z/]+", lambda m: SHORTHAND.get(m.group(0), m.group(0)), text)
    return re.sub(r"[a-z']{3,}", lambda m: _closest(m.group(0)), text)


def read_intent(
    text: str, previous: Intent | None = None, names: Mapping[str, int] | None = None
) -> Intent:
    """The intent of one plain message (not a command). `previous`: the reader's last
    request, which "undo that" reverses; `names`: the short names of the papers of their
    latest digest ("splitwise") and each one's number, so that "keep the Splitwise paper"
    reads as "keep paper 5"."""
    raw = text.strip()[:MAX_CHARS]
    said = normalise(_numbered_by_name(raw, names or {}))
    core = _NEGATED.sub(" ", _LEAD.sub("", said.strip())).strip()
    if _UNDO.search(core) and len(core.split()) <= 6:
        return _undo(previous)
    if _BARE_WHY.match(core) and previous is not None and previous.papers:
        return Intent("why", previous.papers, raw=said)  # "👎 4, not my thing" … "why?"
    # "#3 how many …": a paper named first does not hide the question word after it
    asking = _QUESTION_START.match(_NAMED_FIRST.sub("", core)) is not None or (
        len(core.split()) > 8 and _WONDERING.search(core) is not None
    )
    asking = asking and not ("?" not in core and _SAYS_OF_A_PAPER.match(core))
    for reader in _READERS:
        if asking and reader not in _EVEN_WHEN_ASKING:
            continue
        found = reader(raw, said, core)
        if found is not None:
            return replace(found, raw=said, slot=_as_typed(found.slot, raw))
    return Intent("question", _papers(said), _refers_back(said), raw=said)


def short_name(title: str) -> str | None:
    """A paper's own name, as readers call it: the head of "Splitwise: Efficient …" (at
    most three words), lower case; None for a title without one."""
    head, colon, _ = title.partition(":")
    words = head.split()
    if not colon or not 1 <= len(words) <= 3 or len(head) < 3:
        return None
    return " ".join(words).lower()


def _numbered_by_name(raw: str, names: Mapping[str, int]) -> str:
    """`raw` with each digest paper's name ("the PaSa one", "Splitwise paper") as its
    number ("paper 3")."""
    if not names:
        return raw
    words = list(_NAME_WORD.finditer(raw))
    out, at, i = [], 0, 0
    while i < len(words):
        for size in (3, 2, 1):
            span = words[i : i + size]
            said = " ".join(w.group().lower() for w in span)
            if len(span) == size and said in names:
                start, end = span[0].start(), span[-1].end()
                if i > 0 and words[i - 1].group().lower() == "the":
                    start = words[i - 1].start()  # "the splitwise paper"
                after = words[i + size] if i + size < len(words) else None
                if after is not None and after.group().lower() in _NAME_NOUNS:
                    end = after.end()
                    size += 1
                out += [raw[at:start], f"paper {names[said]}"]
                at, i = end, i + size
                break
        else:
            i += 1
    return "".join([*out, raw[at:]])


_NAME_WORD = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")
_NAME_NOUNS = frozenset("paper one article articulo artículo artikel papier".split())


_BARE_WHY = re.compile(r"^\W*(?:why|warum|wieso|por\s?que|pourquoi)\W*$")
# "don't pause, keep sending", "please don't unsubscribe me": a request word the reader
# negates is not a request for it.
_NEGATED = re.compile(
    r"\b(?:don'?t|do\s+not|never|please\s+don'?t|nicht|no|ne)\s+(?:\w+\s+)?"
    r"(?:pause\w*|unsubscribe\w*|stop\w*|remove\w*|drop\w*|pausier\w*)\b(?:\s+me)?"
)
_UNDO = re.compile(
    r"^(?:(?:wait|no|oops|sorry|nein|nee|perdon|pardon|oh)[\s,!.]+){0,3}"
    r"(?:undo(?:\s+(?:that|it|this))?|never\s*mind|mach\s+das\s+ruckgangig|ruckgangig|"
    r"deshacer|deshazlo|annule(?:r)?(?:\s+(?:ca|ça))?)\b"
)
# A long message that wonders is a question, whatever request words it holds.
_WONDERING = re.compile(
    r"\b(?:wonder(?:ing)?|whether|curious|frage\s+mich|ob\s+(?:die|der|das|sie|es|man)|"
    r"me\s+pregunto|si\s+(?:el|la|los)|je\s+me\s+demande|est-ce\s+que)\b"
)
# "paper 4 is not relevant": says something of the paper ("is paper 4 relevant" asks)
_SAYS_OF_A_PAPER = re.compile(r"^(?:#\d{1,2}|p\d{1,2}|paper\s+\d{1,2})\s+(?:is|was|looks|seems)\b")
_NAMED_FIRST = re.compile(r"^(?:#\d{1,2}|p\d{1,2}|paper\s+\d{1,2})[\s:,.-]*")
REVERSE = {
    "save": "unsave", "unsave": "save", "follow": "unfollow", "pause": "resume",
    "resume": "pause", "rate": "unrate",
}  # fmt: skip


def _undo(previous: Intent | None) -> Intent:
    """The reader's last request, reversed; asked about when there is none to reverse."""
    if previous is None or previous.kind not in REVERSE:
        return Intent("ambiguous", options=("undo",))
    return replace(previous, kind=REVERSE[previous.kind], options=())


def _smalltalk(raw: str, said: str, core: str) -> Intent | None:
    bare = re.sub(r"[^a-z' ]+", " ", said).strip()
    if bare in SMALLTALK or (bare and all(w in SMALLTALK_WORDS for w in bare.split())):
        return Intent("smalltalk")
    letters = re.sub(r"[^a-z]", "", said)
    if letters and len(said.split()) == 1 and not re.search(r"[aeiouy]{1}", letters[1:-1]):
        return Intent("smalltalk")  # "asdfgh", "hmm": nothing to act on
    return None


SMALLTALK = frozenset(
    {
        "hi", "hello", "hey", "hallo", "hola", "salut", "bonjour", "moin", "servus",
        "thanks", "thank you", "thx", "ty", "danke", "gracias", "merci", "ok", "okay",
        "cool", "nice", "great", "lol", "haha", "good bot", "who are you", "what are you",
        "wer bist du", "quien eres", "qui es tu", "good morning", "guten morgen",
        "buenos dias", "bye", "ciao", "tschuss", "adios", "au revoir", "hmm",
    }
)  # fmt: skip
SMALLTALK_WORDS = frozenset(
    "thanks thank you thx ty danke dir dich gracias merci beaucoup mucho muchas echt "
    "really so very much super helpful hilfreich util utile great nice cool awesome good "
    "bot lol haha ok okay perfect perfekt perfecto parfait genial wow bien ur pretty handy for "
    "a an are you're youre your quite".split()
)


def _command_in_words(raw: str, said: str, core: str) -> Intent | None:
    """A command typed without its slash ("help", "settings", "my saved papers") or asked
    for ("what can you do?"): that command (slot: its name), for the ones that only show."""
    bare = re.sub(r"[^a-z ]+", " ", said).split()
    while bare and bare[-1] in _POLITE:
        bare.pop()
    name = _SHOWN_BY.get(" ".join(bare))  # "what can you do"
    while name is None and bare and bare[0] in _SHOW_LEADS:
        bare.pop(0)
        name = _SHOWN_BY.get(" ".join(bare))  # "show my saved papers"
    return Intent("command", slot=name) if name else None


_SHOW_LEADS = frozenset(
    "show list see view open display give me my the please pls what are is whats c est quoi "
    "mes mis meine zeig zeige montre muestra muestrame cuales son was sind".split()
)
_POLITE = frozenset(
    "please pls plz thanks now current currently right set to actuels actuales aktuellen".split()
)
_SHOWN_BY = {
    "help": "help", "commands": "help", "what can you do": "help", "what do you do": "help",
    "how do you work": "help", "how does this work": "help", "how do i use you": "help",
    "how do i use this": "help", "hilfe": "help", "ayuda": "help", "aide": "help",
    "settings": "settings", "preferences": "settings", "einstellungen": "settings",
    "reglages": "settings", "parametres": "settings", "ajustes": "settings",
    "configuracion": "settings",
    "interests": "interests", "topics": "interests", "subscriptions": "interests",
    "what do i follow": "interests", "what am i following": "interests",
    "saved": "saved", "saved papers": "saved", "bookmarks": "saved", "favorites": "saved",
    "favourites": "saved", "starred": "saved", "starred papers": "saved",
    "library": "library", "imported papers": "library",
    "learned": "learned", "what have you learned": "learned", "what did you learn": "learned",
    "what time is my digest": "time", "when is my digest": "time",
    "when do i get my digest": "time", "when does my digest come": "time",
    "when does the digest come": "time", "when do you send the digest": "time",
    "when do you send my digest": "time", "what time do you send the digest": "time",
    "wann kommt mein digest": "time", "wann kommt der digest": "time",
    "a que hora llega el digest": "time", "a quelle heure arrive le digest": "time",
    "privacy": "privacy", "data": "privacy", "what do you know about me": "privacy",
    "what do you store": "privacy", "what do you store about me": "privacy",
    "what data do you have on me": "privacy", "what data do you have about me": "privacy",
    "what do you keep about me": "privacy",
}  # fmt: skip


def _import(raw: str, said: str, core: str) -> Intent | None:
    ids = parse_ids(raw)
    if not ids:
        return None
    if _QUESTION_START.match(core) and not _has(core, "import"):
        return None  # "what is 2401.04088 about?" asks about it
    return Intent("import", ids=tuple(ids))


def _why(raw: str, said: str, core: str) -> Intent | None:
    core = core.lstrip("¿¡ ")
    picked_paper = _WHY_PICKED.search(core)
    if picked_paper and _papers(said):  # "tell me why paper 5 was selected for me"
        return Intent("why", _papers(said))
    if not re.match(r"(?:why|warum|wieso|weshalb|por\s?que|pourquoi)\b", core):
        return None
    papers, back = _papers(said), _refers_back(said)
    # "why #2??", "why this one", "why did you …", "por qué me mandaste …", "warum hast du"
    at_me = re.match(
        r"(?:why|warum|wieso|weshalb|por\s?que|pourquoi)[\s?!,]+(?:(?:#|p|paper\s*)\d|this\b|"
        r"that\b|(?:did|do|would)\s+(?:you|i)\b|hast\s+du\b|me\s+\w+aste\b|"
        r"tu\s+m'|(?:m'|me\s+)as\b)",
        core,
    )
    if at_me is not None and len(core.split()) <= 12 and (papers or back or at_me):
        return Intent("why", papers, refers_back=not papers)
    picked = re.search(
        r"\b(?:pick|picked|choose|chose|chosen|send|sent|get|got|include|included|recommend|"
        r"geschickt|gesendet|ausgewahlt|empfohlen|enviaste|mandaste|elegiste|recomendaste|"
        r"envoye|choisi|recommande|m'as)\b",
        core,
    )
    if picked is None or not (papers or back or "that" in core):
        return None
    return Intent("why", papers, refers_back=not papers)


_WHY_PICKED = re.compile(
    r"\b(?:why|warum|wieso|por\s?que|pourquoi)\b.{0,60}\b(?:selected|picked|chosen|chose|"
    r"recommended|recommend|included|sent|ausgewahlt|empfohlen|elegiste|recomendaste|"
    r"choisi|recommande)\b"
)


def _more_like(raw: str, said: str, core: str) -> Intent | None:
    if not re.search(
        r"\b(?:more|mehr|mas|plus)\s+(?:\w+\s+){0,2}?(?:like|wie|como|comme|solche)\b|"
        r"\bsimilar\s+to\b|\bahnlich\s+wie\b|\bparecidos?\s+a\b|\bin\s+der\s+art\s+(?:von|wie)\b|"
        r"\bsimilaires?\s+a\b|\bdu\s+meme\s+genre\b",
        core,
    ):
        return None
    papers = _papers(said)
    named = re.search(r"\b(?:the\s+)?(?<![a-z0-9-])([a-z0-9-]+)\s+one\b", core)
    return Intent("more_like", papers, refers_back=not papers, slot=named.group(1) if named else "")


def _unsave(raw: str, said: str, core: str) -> Intent | None:
    saved_list = re.search(
        r"\b(?:saved|bookmarks?|favou?rites?|favoris|favoritos|guardados|merkliste|"
        r"gespeicherten)\b",
        core,
    )
    removing = re.match(
        r"(?:remove|delete|drop|take|unsave|unstar|un-save|entferne|losche|quita\w*|borra\w*|"
        r"elimina\w*|enleve|retire|supprime)\b",
        core,
    )
    if _has(core[:20], "unsave") or (removing and saved_list):
        papers = _papers(said) or _bare_numbers(core)
        return Intent("unsave", papers, refers_back=not papers)
    return None


_SAVE_VERB = (
    r"(?:save|star|bookmark|keep|favou?rite|set\s+(?:it\s+)?aside|speicher\w*|merk\w*|guarda\w*|"
    r"marca|enregistre|garde|sauvegarde)\b"
)
_POLITE_REQUEST = re.compile(
    r"\b(?:would|could|can|will)\s+you\b|\bi(?:'d|\s+would|\s+should)\s+like\s+to\b|"
    r"\bplease\b|\bkindly\b"
)


def _save(raw: str, said: str, core: str) -> Intent | None:
    # "would you be so kind as to set it aside", "I'd like to keep paper 5 for a seminar"
    polite = _POLITE_REQUEST.search(core) and re.search(r"\b" + _SAVE_VERB, core)
    if polite and _papers(said):
        return Intent("save", _papers(said))
    first = re.match(_SAVE_VERB, core) is not None
    # German puts the verb last: "kannst du bitte paper 2 speichern"
    last = len(core.split()) <= 8 and re.search(_SAVE_VERB + r"[\s.!]*$", core) is not None
    if not (first or last):
        return None
    papers = _papers(said) or _bare_numbers(core)
    if not papers and not _refers_back(said):
        named = _THE_NAMED_ONE.search(core)  # "bookmark the pasa one": by its title
        return Intent("save", slot=named[1]) if named else None
    return Intent("save", papers, refers_back=not papers)


def _rate(raw: str, said: str, core: str) -> Intent | None:
    """ "paper 2 👎", "thumbs up for #3", "I don't like paper 4", "paper 1 is not relevant":
    a rating, as the buttons under a paper give. Without a paper ("nah, not this one 👎")
    it needs one: the paper replied to, or the last answer's, else the reader is asked."""
    if "?" in said or len(said.split()) > 12:
        return None
    down = _RATED_DOWN.search(said) is not None
    up = not down and _RATED_UP.search(said) is not None
    if not (up or down):
        return None
    value = "up" if up else "down"
    emoji = "👍" in said or "👎" in said
    papers = _papers(said) or (_bare_numbers(core) if emoji else ())
    if papers:
        return Intent("rate", papers, slot=value)
    if emoji or _RATED_WITHOUT_PAPER.search(said):
        return Intent("ambiguous", options=("rate",), slot=value)
    return None


# Words that rate only beside a paper ("paper 2 is great"); the emoji rate on their own.
_RATED_DOWN = re.compile(
    r"👎|\bthumbs?\s*down\b|\bdislike[ds]?\b|\b(?:don'?t|do\s+not|didn'?t)\s+(?:really\s+)?"
    r"(?:like|care\s+for)\b|\b(?:not|isn'?t|wasn'?t)\s+(?:very\s+|really\s+)?(?:relevant|"
    r"for\s+me|useful|interesting|my\s+thing)\b|\b(?:irrelevant|useless|boring|off[- ]topic|"
    r"meh)\b|\bnot\s+this\s+one\b|^\W*(?:nah|nope)\b"
)
_RATED_UP = re.compile(
    r"👍|\bthumbs?\s*up\b|\b(?:like|liked|love|loved)\s+(?:paper|p\d|#\d|this|that|it|the)\b|"
    r"\b(?:great|relevant|useful|spot\s+on|exactly\s+my\s+thing|very\s+interesting)\b"
)
_RATED_WITHOUT_PAPER = re.compile(r"\b(?:not\s+this\s+one|this\s+one|thumbs?\s*(?:up|down))\b")


_THE_NAMED_ONE = re.compile(
    r"\b(?:the|el|la|le|das|den)\s+([a-z][\w-]{2,29})\s+(?:one|paper|papier|artikel|articulo|article)\b"
)


def _not_interested(raw: str, said: str, core: str) -> Intent | None:
    match = re.search(
        r"\bnot\s+interest(?:ed)?\s+in\s+(?P<a>.+)|\bno\s+more\s+(?P<b>.+)|"
        r"\bless\s+(?P<c>.+)|\bi\s+don'?t\s+care\s+about\s+(?P<d>.+)|"
        r"\bfewer\s+(?:papers?\s+)?(?:about|on)\s+(?P<l>.+)|"
        r"^mute\s+(?!(?:the\s+|my\s+|all\s+)?(?:digests?|it|this|everything|notifications|bot|"
        r"for|until|till|pls|please)\b)(?P<k>.+)|"
        r"\bkeine\s+(?:(?:paper|papers|artikel)\s*)?mehr\s+(?:uber|zu|zum|zur|mit)?\s*(?P<e>.+)|"
        r"\bno\s+me\s+interesa(?:n)?\s+(?P<f>.+)|\bno\s+mas\s+(?:papers?\s+)?(?:de|sobre)?\s*(?P<g>.+)|"
        r"\bpas\s+interesse\w*\s+par\s+(?P<h>.+)|\bplus\s+de\s+(?:papiers?\s+)?(?:sur\s+)?(?P<i>.+)|"
        r"^(?P<j>\S(?:.{0,98}?\S)?)\s+(?:interessiert\s+mich\s+(?:\w+\s+)?nicht|"
        r"(?:bitte\s+)?ausblenden|no\s+me\s+interesa|ne\s+m'interesse\s+pas)\b",
        core,
    )
    if match is None:
        return None
    topic = _topic(next(g for g in match.groups() if g))
    topic = re.sub(r"^(?:papers?|articles?|artikel|stuff)\s+(?:about|on|uber|sobre|sur)\s+", "",
                   topic)  # fmt: skip
    topic = re.sub(r"(?<!\s)\s+(?:papers?|articles?|stuff|things)$", "", topic)
    topic = _topic(topic)  # "sur la blockchain": the article goes too
    if topic and _papers(topic):  # "not interested in paper 4": that paper, not a topic
        return Intent("rate", _papers(topic), slot="down")
    return Intent("not_interested", slot=topic) if topic else None


def _unfollow(raw: str, said: str, core: str) -> Intent | None:
    match = re.search(
        r"(?:stop\s+following|unfollow|unsubscribe\s+(?:from\s+)?|"
        r"(?:remove|drop|delete)\s+(?:the\s+)?(?:topic\s+)?|"
        r"folge\s+(?:nicht\s+mehr|keine)|entferne\s+(?:das\s+thema\s+)?|"
        r"deja\s+de\s+seguir|quita\s+(?:el\s+tema\s+)?|"
        r"arrete\s+de\s+suivre|retire\s+(?:le\s+sujet\s+)?|supprime\s+(?:le\s+sujet\s+)?)"
        r"(?P<topic>.*)",
        core,
    )
    drop_topic = re.search(r"\b(?:drop|remove)\s+(?:that|this|the)\s+(?:\w+\s+)?topic\b", said)
    raus = re.search(r"\b(?:nimm|mach)\s+(?P<t>\S(?:.{0,98}?\S)?)\s+raus\b|"
                     r"(?<!\S)[^\w\s]*(?P<u>\w\S*)\s+nicht\s+mehr\s+folgen|"
                     r"^(?P<v>\S(?:.{0,98}?\S)?)\s+(?:bitte\s+)?(?:entfolgen|entfernen|abbestellen)\b",
                     said)  # fmt: skip
    if match is None and drop_topic is None and raus is None:
        return None
    topic = match.group("topic") if match else ""
    if raus is not None:
        topic = raus.group("t") or raus.group("u") or raus.group("v") or ""
    if re.fullmatch(r"\s*\d{1,2}\s*", topic):
        return Intent("ambiguous", slot=topic.strip(), options=("unfollow", "unsave"))
    return Intent("unfollow", slot=_topic(topic) if match or raus else "", papers=())


def _follow(raw: str, said: str, core: str) -> Intent | None:
    swap = re.match(r"(?:replace|swap)\s+(?P<old>.{1,120}?)\s+(?:with|for|by)\s+(?P<new>.+)", core)
    if swap and _topic(swap.group("new")):  # "replace speculative decoding with GPU kernels"
        old = _topic(swap.group("old"))
        return Intent("follow", slot=_topic(swap.group("new")), options=("instead_of", old))
    match = re.match(
        r"(?:also\s+)?(?:add|follow|track|subscribe\s+(?:me\s+)?to|watch|folge|sigueme|sigue|seguir|"
        r"anade|agrega|suis|ajoute|abonne-moi\s+a)(?:-moi|-nous|\s+moi)?"
        r"(?:\s+(?:auch|tambien|aussi|also|too))?\s+(?P<topic>.+)|"
        # "more on KV cache compression", "mehr über X", "más sobre X" (not "more on paper 2")
        r"(?:more|mehr|mas|plus)\s+(?:papers?\s+)?(?:on|about|uber|zu|sobre|de|sur)\s+"
        r"(?!(?:paper|this|that|it|them|these|those|das|dem|esto|eso|ca|cela)\b)(?P<more>.+)",
        core,
    )
    into = re.search(
        r"\b(?:i'?m|i\s+am)\s+(?:really\s+)?(?:into|interested\s+in)\s+(?P<a>[^,\n]{1,200})(?:,|$)|"
        r"\binteressiere\s+mich\s+(?:auch\s+)?fur\s+(?P<b>.+)|"
        r"\bme\s+interesa(?:n)?\s+(?:tambien\s+)?(?P<c>.+)|"
        r"\bje\s+m'interesse\s+(?:aussi\s+)?(?:a|aux|au)\s+(?P<d>.+)|"
        r"\b(?=\w)(?P<e>\S(?:.{0,98}?\S)?)\s+(?:hinzufugen|auch\s+folgen)\b",
        core,
    )
    if match is None and into is None:
        return None
    if match:
        topic = match.group("topic") or match.group("more")
    else:
        topic = next(g for g in into.groups() if g)  # type: ignore[union-attr]
    topic = _topic(topic)
    return Intent("follow", slot=topic) if topic else None


def _timezone(raw: str, said: str, core: str) -> Intent | None:
    zone = re.search(
        r"\b(?:time\s*zone|zeitzone|zona\s+horaria|fuseau(?:\s+horaire)?)\b"
        r"(?:\s+(?:to|is|auf|a|en|sur|=|:))?\s*(?P<a>[\w/+-]+(?:\s+[\w/+-]+){0,2})?",
        core,
    )
    moved = re.search(
        r"\b(?:moved\s+to|live\s+in|living\s+in|i'?m\s+in|wohne\s+(?:jetzt\s+)?in|"
        r"umgezogen\s+nach|vivo\s+en|me\s+mude\s+a|j'habite\s+a|demenage\s+a|"
        r"je\s+suis\s+a)\s+(?P<b>[\w' -]+)",
        core,
    )
    if zone is None and moved is None:
        return None
    place = (zone.group("a") if zone and zone.group("a") else "") or (
        moved.group("b") if moved else ""
    )
    place = re.split(
        r"(?:(?<!\s)\s+)?(?:,|\bnow\b|\bjetzt\b|\bcambia\b|\bchange\b|\bpls\b)", place
    )[0]
    return Intent("set_timezone", slot=place.strip())


def _time(raw: str, said: str, core: str) -> Intent | None:
    if not re.search(
        r"\b(?:send|sending|deliver|get|digest|schick\w*|sende|bekomm\w*|envia\w*|manda\w*|"
        r"recib\w*|envoie\w*|recevoir|reçois|at|um|a\s+las|vers|instead|stattdessen)\b",
        core,
    ) and not _TIME_WORD.search(core):
        return None
    # "change my time to 9": "to" before a bare hour, when the message names the time
    hour_after = _HOUR_AFTER_TO if _TIME_WORD.search(core) else _HOUR_AFTER
    for match in _TIME.finditer(core):
        hour, minute, suffix = match.group(1), match.group(2), match.group(3)
        if minute is None and suffix is None:
            before = core[max(0, match.start() - 8) : match.start()]
            if not hour_after.search(before):
                continue
        time_text = f"{hour}:{minute or '00'}"
        if suffix in ("am", "pm", "a.m.", "p.m."):
            time_text += suffix.replace(".", "")
        return Intent("set_time", slot=time_text)
    return None


_HOUR_AFTER = re.compile(r"\b(?:at|um|a\s+las|vers|a)\s*$")
_HOUR_AFTER_TO = re.compile(r"\b(?:at|um|a\s+las|vers|a|to|auf)\s*$")
_TIME_WORD = re.compile(r"\b(?:(?:my|the|digest|delivery)\s+time|uhrzeit|zeit|hora|heure)\b")


def _papers_per_digest(raw: str, said: str, core: str) -> Intent | None:
    """ "only 3 papers a day", "send me 5 papers", "fewer papers please" (slot: "" asks how
    many)."""
    count = _PAPER_COUNT.search(core)
    if count:
        return Intent("set_papers", slot=count["n"] or count["m"] or count["k"])
    if _FEWER_OR_MORE.search(core):
        return Intent("set_papers")
    return None


_PER = r"(?:a|per|each|every)\s+(?:day|digest|morning)|daily|pro\s+tag|al\s+dia|par\s+jour"
_PAPER_COUNT = re.compile(
    rf"\b(?:only|just|max(?:imum)?|at\s+most|up\s+to|no\s+more\s+than|nur|solo|seulement)\s+"
    rf"(?P<n>\d{{1,3}})\s+(?:papers?|articles?|artikel|articulos)\b|"
    rf"\b(?P<m>\d{{1,3}})\s+(?:papers?|articles?|artikel|articulos)\s+(?:{_PER})\b|"
    rf"^(?:(?:please|pls)\s+)?(?:send|give)\s+me\s+(?P<k>\d{{1,3}})\s+papers"
    rf"(?:\s+(?:please|pls|instead))?$"
)
_FEWER_OR_MORE = re.compile(
    r"^(?:(?:please|pls)\s+)?(?:(?:send|give)\s+(?:me\s+)?)?(?:fewer|less|more)\s+papers"
    r"(?:\s+(?:please|pls|per\s+day|a\s+day|each\s+day|daily))?$|"
    r"\b(?:menos|weniger|moins\s+d'?)\s*(?:articulos|papers?|artikel|articles|papiers)\b"
    r"(?!\s+(?:de|sobre|uber|zu|sur|about|on)\b)|"
    r"\btoo\s+(?:many|few)\s+papers(?:\s+(?:a|per|each)\s+day|\s+(?:in\s+)?(?:my|each|every|the)"
    r"\s+digest|\s+daily)?[\s.!]*$"  # "too many papers about serving …": that topic, not the count
)


def _pause_resume(raw: str, said: str, core: str) -> Intent | None:
    if re.search(
        r"\b(?:resume|unpause|i'?m\s+back|start\s+(?:again|sending)|send\s+again|keep\s+sending|"
        r"weiter(?:machen|schicken)?|fortsetzen|bin\s+zuruck|wieder\s+schicken|reanuda\w*|"
        r"vuelve\s+a\s+enviar|de\s+vuelta|reprends|reprendre|recommence\w*)\b",
        core,
    ):
        return Intent("resume")
    if re.search(
        r"\b(?:pause\w*|pausier\w*|pausa\w*|stop\s+(?:sending|the\s+digests?|digests?|"
        r"for\s+a\s+while)|don'?t\s+send|take\s+a\s+break|on\s+(?:holiday|vacation)|mute|"
        r"hold\s+off|suspend\w*|no\s+(?:more\s+)?digests?\s+(?:for|until|till)|"
        r"until\s+i\s+(?:tell|say)|keine\s+digests?|nicht\s+mehr\s+schicken|"
        r"aussetzen|no\s+me\s+(?:envies|mandes)|n'envoie\s+plus|suspend\w*|"
        r"urlaub|deja\s+de\s+enviar|vacaciones|arrete\s+(?:d'envoyer|les\s+envois)|vacances)\b",
        core,
    ):
        return Intent("pause")
    return None


def _digest(raw: str, said: str, core: str) -> Intent | None:
    if re.search(
        r"^(?:send|give|show|get)\s+(?:me\s+)?(?:(?:today'?s|todays|the|my)\s*)?"
        r"(?:digest|papers|paper\s+list|list)\b|\b(?:today'?s|todays)\s+(?:digest|papers)\b|"
        r"\bheutige\w*\s+(?:digest|paper)|\bschick\w*\s+mir\s+(?:das|den|die)\s+"
        r"(?:digest|paper)|\bresumen\s+de\s+hoy\b|\bpapers?\s+de\s+hoy\b|"
        r"\bdigest\s+du\s+jour\b|\barticles\s+d'aujourd'hui\b|\bwhat'?s\s+new\s+today\b|"
        r"^(?:the\s+|my\s+)?digest(?:\s+(?:now|please|pls|again|today))*[\s.!]*$",
        core,
    ) and not _ASKS_ABOUT_THEM.search(core):
        return Intent("digest")
    return None


# "which of today's papers …?", "a summary of each of today's papers": about them, a question
_ASKS_ABOUT_THEM = re.compile(
    r"\b(?:which|lesquels|lesquelles|welche|cuales|summary|summaries|summari[sz]e|tl;?dr|"
    r"each\s+of|compare|code)\b"
)


_ABOUT_THE_BOT = re.compile(
    r"^(?:are\s+you|r\s+you|bist\s+du|eres|es[-\s]tu|t'es)\s+(?:\w+\s+){0,3}"
    r"(?:bot|robot|human|person|real|ai|mensch|maschine|humano|humain|ia)\b"
)


def _about_the_bot(raw: str, said: str, core: str) -> Intent | None:
    return Intent("smalltalk") if _ABOUT_THE_BOT.search(core) else None


def _greeting_led(raw: str, said: str, core: str) -> Intent | None:
    """ "thanks, that's all for today", "hola, qué tal": opens with a greeting or thanks,
    names no paper and asks nothing."""
    first = re.match(r"[a-z']+", said.strip())
    if first is None or first.group(0) not in SMALLTALK_OPENERS or "?" in said:
        return None
    if _papers(said) or len(said.split()) > 8:
        return None
    return Intent("smalltalk")


SMALLTALK_OPENERS = frozenset(
    "hi hello hey hallo hola salut bonjour moin servus thanks thank danke gracias merci "
    "bye ciao tschuss adios cheers great cool nice".split()
)


def _bare_topic(raw: str, said: str, core: str) -> Intent | None:
    """A short phrase with no question and no verb: a topic to follow, or something to
    look up? The reader is asked."""
    words = core.strip(" .!").split()
    if not 1 <= len(words) <= 4 or "?" in core or _QUESTION_START.match(core):
        return None
    if _papers(said):  # "paper 5", "splitwise throughput gain": about it
        return Intent("question", _papers(said))
    if _refers_back(said):
        return Intent("ambiguous", options=("question",))
    if re.search(r"\b(?:stop|halt|stopp|basta|arrete)\b", core):
        return Intent("ambiguous", options=("pause", "unfollow"))
    if re.search(r"\b(?:mehr|more|mas|plus)\s+(?:davon|of\s+(?:this|that)|de\s+esto)\b", core):
        return Intent("ambiguous", options=("more_like",))
    return Intent("ambiguous", slot=core.strip(" .!"), options=("follow", "question"))


_EVEN_WHEN_ASKING = frozenset(
    {_smalltalk, _command_in_words, _about_the_bot, _import, _timezone, _why, _digest, _more_like}
)  # "what is 2401.x?" → import?
_READERS = (
    _smalltalk,
    _command_in_words,
    _about_the_bot,
    _import,
    _why,
    _more_like,
    _unsave,
    _save,
    _rate,
    _papers_per_digest,
    _not_interested,
    _unfollow,
    _timezone,
    _time,
    _digest,
    _pause_resume,
    _follow,
    _greeting_led,
    _bare_topic,
)


def _as_typed(slot: str, raw: str) -> str:
    """The slot with the reader's own capitals ("LLM agents"), where it can be found."""
    at = raw.lower().find(slot) if slot else -1
    return raw[at : at + len(slot)] if at >= 0 else slot


def _papers(said: str) -> tuple[int, ...]:
    found = [int(n) for n in _NUMBERED.findall(said)]
    found += [_ORDINALS[w] for w in _ORDINAL.findall(said)]
    if _LAST_ONE.search(said) and re.search(r"\b(?:one|paper|papier|artikel|uno)\b", said):
        found.append(LAST)
    return tuple(dict.fromkeys(n for n in found if n == LAST or 1 <= n <= 30))


def _bare_numbers(core: str) -> tuple[int, ...]:
    """ "take 2 off my saved list", "enlève le 1": a lone small number beside a save verb."""
    return tuple(int(n) for n in re.findall(r"(?<![\d:.#])\b([1-9]|[12]\d)\b(?![\d:.])", core))


def _refers_back(said: str) -> bool:
    return _BACK.search(said) is not None


def _topic(text: str) -> str:
    """What is left of a topic once the chat around it is gone."""
    text = re.split(r"(?:(?<!\s)\s+)?(?:[,;!?]|\.(?:\s|$)|\band\s+keep\b|\bplease\b|\bpls\b|"
                    r"\bbitte\b|\bs'il\s+(?:te|vous)\s+plait\b|\bpor\s+favor\b|"
                    r"\bstp\b|\bthanks\b)", text)[0]  # fmt: skip
    text = re.sub(
        r"^(?:to\s+|the\s+|el\s+tema\s+(?:de\s+)?|das\s+thema\s+|le\s+sujet\s+|"
        r"(?:la|le|les|l'|el|los|las|die|der|das|den|dem)\s+|(?:topic\s+)?of\s+|"
        r"(?:the\s+)?topic\s+|tambien\s+(?:el\s+tema\s+(?:de\s+)?)?|auch\s+)+",
        "",
        text.strip(),
    )
    text = re.sub(
        r"(?<!\s)\s+(?:to\s+my\s+(?:topics|interests|list)|too|as\s+well|also|auch|tambien|aussi|"
        r"topic|thema|hinzu|that|then|pls|please|bitte|one|papers?|entirely|please)$",
        "",
        text,
    )
    return text.strip(" .'\"“”«»")


def _has(text: str, intent: str) -> bool:
    words = set(re.findall(r"[a-z']+", text))
    return bool(words & set(KEYWORDS[intent].split()))


def _closest(word: str) -> str:
    if word in VOCABULARY or word in COMMON or word in _known_words():
        return word
    near = [k for k in VOCABULARY if abs(len(k) - len(word)) <= 1 and len(k) >= 4]
    # a swap or a wrong letter ("resumne": resumen) before a letter missing or extra
    for known in sorted(near, key=lambda k: (len(k) != len(word), k)):
        if one_edit_apart(word, known):
            return known
    return word


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Whole words of the shipped model's vocabulary (mostly English): a word it knows is
    what the reader meant ("start" is not "star" mistyped)."""
    vocab = json.loads((MODEL_DIR / "tokenizer.json").read_text())["model"]["vocab"]
    return frozenset(w for w in vocab if w.isalpha() and len(w) >= 3)
