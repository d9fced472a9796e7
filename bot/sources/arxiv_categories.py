"""arXiv's category list (https://arxiv.org/category_taxonomy), for validating what users
type after `cat:` and suggesting the closest name on a typo."""

from __future__ import annotations

import difflib

_ARCHIVES = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS "
    "NA NE NI OH OS PF PL RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA "
    "RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an "
    "ed-ph flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
# Archives that are categories themselves, without a subject class.
_SINGLE = "gr-qc hep-ex hep-lat hep-ph hep-th math-ph nucl-ex nucl-th quant-ph"

CATEGORIES: tuple[str, ...] = tuple(
    sorted([f"{a}.{s}" for a, subs in _ARCHIVES.items() for s in subs.split()] + _SINGLE.split())
)
_BY_LOWER = {c.lower(): c for c in CATEGORIES}
# Names people reach for that arXiv spells differently (spelling alone suggests cs.PL).
_LIKELY_MEANT = {"cs.ml": "cs.LG", "cs.nlp": "cs.CL", "cs.rl": "cs.LG", "math.mp": "math-ph"}


def canonical_category(text: str) -> str | None:
    """'cs.cl' -> 'cs.CL'; None when it is not an arXiv category."""
    return _BY_LOWER.get(text.strip().lower())


def closest_category(text: str) -> str | None:
    """The category a typo most likely meant ('cs.CLL' -> 'cs.CL'), or None."""
    lowered = text.strip().lower()
    if lowered in _LIKELY_MEANT:
        return _LIKELY_MEANT[lowered]
    found = difflib.get_close_matches(lowered, list(_BY_LOWER), n=1, cutoff=0.6)
    return _BY_LOWER[found[0]] if found else None
