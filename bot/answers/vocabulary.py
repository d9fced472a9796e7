"""The words questions about papers are asked with, in English, German, Spanish and French
(lowercase, accents stripped, ß as ss): what only asks, what names an aspect of a paper,
and a small glossary of research words into English. Small on purpose: words not here are
the question's topic, and a topic in a language the papers are not written in is never
used to refuse."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that ask, point or fill, and say nothing about what is asked.
ASKING = _words(
    # English
    """what whats wat wut how hows why which who whom whose when where is isnt are arent was
    were be been being am do does did doing done dont doesnt didnt can cant could would should
    will shall may might must have has had having get gets got tell me explain explains
    explained describe describes give show shows say says said saying mention mentions
    mentioned discuss discusses talk talks write writes wrote written report reports state
    states claim claims paper papers article articles study studies publication this that
    these those it its they them their theirs there here the a an of in on at by for to from
    with without into onto about as and or but if so than then also too very really actually
    basically exactly just only even evn any some anything something everything all both each
    either neither one ones thing things stuff part bit kind sort lol pls plz please thanks
    thank hey hi ok okay well i im my me we our us you u your ur yours he she his her mostly
    maybe perhaps briefly brief short shortly quick quickly simply simple detail details
    detailed more less most least other others another such own again still yet now today
    yesterday digest digests anywhere somewhere know knows mean means main key core overall
    whole general generally like guys authors author s t d ll re ve m eli5 sum up use uses
    used using same compare compared comparing comparison contrast versus differ differs
    difference differences vs versus two three four five one hey because through reading read
    trying caught eye morning wondering wonder curious guess anyway biggest largest best
    highest lowest fastest smallest strongest greatest top called named name names deal
    deals care find finds found common send sent hello hallo hola salut bonjour yo sup bruh
    lowkey ngl tbh fr kinda mind terribly giving afraid shan shant properly kindly remind
    lost track seem seems lately recently gotten feels feel honestly time over past download
    downloaded sentence sentences paragraph """
    # German
    """was wer wie wo wann warum wieso weshalb welche welcher welches welchen welchem ist sind
    war waren hat haben hatte hatten gibt gib es das der die den dem des ein eine einer eines
    einen einem und oder in im auf bei mit von vom zu zum zur fur uber aus an am nicht noch
    auch nur so also mal bitte genau kurz ich du sie er wir ihr mir mich dir dich uns euch hab
    habe mein meine dein deine ihre ihren sein seine man kann konnen konnte wurde wurden werden
    wird dieses diese dieser diesem irgendwo schreiben schreibt steht stehen sagen sagt frage
    fragen ob denn doch eigentlich etwa ganz schon paar angeschaut gelesen erklar erklare
    erklaren erklart beschreib beschreibe zeig zeige artikel arbeit studie einzelne einzelnen
    jemand etwas alles geht gehts dauert dauern zwei drei vier vergleich vergleiche
    vergleichen unterschied benutzt benutzen verwendet verwenden nutzt nutzen """
    # Spanish
    """que cual cuales como donde cuando por porque para el la los las lo un una unos unas de
    del al en con sin sobre y o es son era fue esta este estos estas ese esa eso hay me mi mis
    tu te se su sus nos les le explica explicame explicamelo explicalo dime dame porfa favor
    corto breve muy mas tiene tienen usa usan utiliza utilizan puede pueden hace hacen articulo
    articulos estudio trabajo algo todo tarda tardan dos tres compara comparar diferencia
    usado usan usaron """
    # French
    """qu quoi quel quelle quels quelles comment ou est sont etait c ce cet cette ces l les un
    une des du d au aux dans sur avec sans pour par et il ils elle elles on nous vous je j m
    se ont fait font peux peut pouvez explique expliquez dis dites parle parlent utilise
    utilisent utilises merci stp svp bref court papier papiers etude quelque chose tout dure
    deux trois comparer difference"""
)

# Aspects of a paper a question can ask about, by the words that name them.
ASPECTS: dict[str, frozenset[str]] = {
    "result": _words(
        """result results finding findings outcome outcomes conclusion conclusions takeaway
        takeaways performance perform performs performed speedup speedups faster slower
        quicker accuracy accurate precision improvement improvements improve improves
        improved gain gains beat beats outperform outperforms better score scores metric
        metrics numbers achieve achieves achieved good bad worth worthwhile useful
        impressive promising effective effectiveness convincing pros hype hyped overhyped
        legit
        ergebnis ergebnisse hauptergebnis hauptergebnisse resultat resultate befund fazit
        leistung schneller genauigkeit verbesserung besser gut taugt
        resultado resultados hallazgo hallazgos conclusion conclusiones rendimiento rapido
        precision mejora mejor bueno buena
        resultats amelioration meilleur rapide bon bonne"""
    ),
    "problem": _words(
        """problem problems issue issues challenge challenges motivation motivate motivated
        solve solves solved address addresses tackle tackles gap why matter matters
        problemstellung herausforderung losen warum wieso
        problema problemas reto desafio resolver resuelve
        probleme problemes defi resoudre resout pourquoi"""
    ),
    "method": _words(
        """method methods approach approaches technique techniques mechanism mechanisms
        architecture architectures work works working idea ideas propose proposes proposed
        design designed algorithm algorithms algo framework pipeline handle handles
        methode methoden ansatz verfahren technik mechanismus architektur funktioniert
        funktionieren idee
        metodo metodos enfoque tecnica mecanismo arquitectura funciona funcionan
        approche mecanisme fonctionne fonctionnent marche"""
    ),
    "summary": _words(
        """summary summaries summarise summarize summarised summarized tldr tl dr gist
        overview abstract intro introduction eli eli5 beginner beginners newbie layman
        laymans noob line liner oneliner
        zusammenfassung zusammenfassen worum uberblick
        resumen resumir resume resumeme trata
        resumer"""
    ),
    "limitations": _words(
        """limitation limitations limit limits limited downside downsides drawback drawbacks
        weakness weaknesses shortcoming shortcomings caveat caveats cons disadvantage
        disadvantages catch
        grenzen einschrankung einschrankungen nachteil nachteile schwache schwachen
        limitacion limitaciones desventaja desventajas debilidad debilidades
        limite limites inconvenient inconvenients faiblesse faiblesses"""
    ),
    "novelty": _words(
        """new novel novelty contribution contributions contribute contributes innovation
        innovative original originality neu neues neue beitrag beitrage neuheit nuevo nueva
        novedad contribucion contribuciones aporte nouveau nouvelle nouveaute apport"""
    ),
    "data": _words(
        """data dataset datasets benchmark benchmarks corpus corpora evaluate evaluated
        evaluation evaluations eval test tested tests testing experiment experiments
        experimental daten datensatz datensatze datos conjunto donnees getestet evaluiert
        probado probaron evaluado evaluaron teste testes evalue"""
    ),
    "code": _words(
        """code github gitlab repo repos repository repositories opensource implementation
        released release quellcode codigo"""
    ),
}

# Words that ask for a number ("how many", "wie groß", "cuánto", "combien", "speedup").
QUANTITY = _words(
    """much many long big large fast often size number amount count speedup speedups faster
    slower quicker viel viele wieviel wieviele lange gross grosse schnell oft anzahl cuanto
    cuanta cuantos cuantas tamano numero combien taille nombre"""
)

# Named units a number must come with, by kind.
UNITS: dict[str, frozenset[str]] = {
    "money": _words("dollar dollars usd euro euros eur cents price dolar dolares"),
    "time": _words(
        """second seconds sec secs minute minutes min mins hour hours hrs day days week weeks
        month months year years
        sekunde sekunden minute minuten stunde stunden tag tage segundo segundos minuto
        minutos hora horas dia dias seconde secondes heure heures jour jours"""
    ),
}

# Research words of German, Spanish and French questions, into English.
GLOSSARY: dict[str, str] = {
    # German
    "phase": "phase", "phasen": "phases", "modell": "model",
    "modelle": "models", "modells": "model", "training": "training", "trainings": "training",
    "suche": "search", "suchen": "search", "kosten": "cost", "kostet": "cost", "zeit": "time",
    "dauer": "time", "sprache": "language", "sprachen": "languages",
    "schicht": "layer", "schichten": "layers", "spiel": "game", "spiele": "games",
    "fehler": "error", "geschwindigkeit": "speed", "speicher": "memory", "anfrage": "query",
    "anfragen": "queries", "abfragen": "queries", "nutzer": "user", "belohnung": "reward",
    "lernen": "learning", "grafikkarte": "gpu", "grafikkarten": "gpus", "auslöser": "trigger",
    "ausloser": "trigger", "hintertur": "backdoor", "verhalten": "behavior",
    "ubersetzung": "translation", "aufmerksamkeit": "attention", "rechenzeit": "compute",
    "sicherheit": "safety", "risiko": "risk", "agenten": "agents", "werkzeuge": "tools",
    "durchsatz": "throughput", "latenz": "latency", "gedachtnis": "memory",
    "inferenz": "inference", "effizient": "efficient", "effiziente": "efficient",
    "effizienten": "efficient",
    "daten": "data", "datensatz": "dataset", "bild": "image", "bilder": "images",
    "schlussfolgern": "reasoning", "echten": "real", "echte": "real", "trainiert": "trained",
    "kopfe": "heads",
    # Spanish
    "fases": "phases", "modelo": "model", "modelos": "models",
    "entrenamiento": "training", "busqueda": "search", "costo": "cost", "coste": "cost",
    "cuesta": "cost", "tiempo": "time", "juego": "game", "juegos": "games",
    "capa": "layer", "capas": "layers", "consulta": "query", "consultas": "queries",
    "memoria": "memory", "velocidad": "speed", "comportamiento": "behavior",
    "traduccion": "translation", "atencion": "attention", "disparador": "trigger",
    "recompensa": "reward", "aprendizaje": "learning", "herramientas": "tools",
    "agente": "agent", "agentes": "agents", "idioma": "language", "seguridad": "safety",
    "riesgo": "risk", "inferencia": "inference", "eficiente": "efficient",
    "eficientes": "efficient", "refuerzo": "reinforcement", "razonamiento": "reasoning",
    "datos": "data", "imagen": "image", "imagenes": "images", "lenguaje": "language",
    "generacion": "generation", "recuperacion": "retrieval", "codigo": "code",
    "entrenar": "train", "entrenaron": "trained", "cabezas": "heads", "lote": "batch",
    # French
    "modele": "model", "modeles": "models",
    "entrainement": "training", "recherche": "search", "cout": "cost", "coute": "cost",
    "temps": "time", "jeu": "game", "jeux": "games", "couche": "layer", "couches": "layers",
    "requete": "query", "requetes": "queries", "memoire": "memory", "vitesse": "speed",
    "comportement": "behavior", "traduction": "translation", "declencheur": "trigger",
    "recompense": "reward", "apprentissage": "learning", "outils": "tools", "langue": "language",
    "securite": "safety", "risque": "risk", "debit": "throughput",
    "efficace": "efficient", "efficaces": "efficient",
    "renforcement": "reinforcement", "raisonnement": "reasoning", "donnees": "data",
    "langage": "language", "tetes": "heads", "tete": "head", "entrainer": "train",
}  # fmt: skip

# Function words that mark a question as German, Spanish or French.
FOREIGN_MARKERS = _words(
    """was wie ist sind der die das und von mit ich es fur auf bei gibt welche worum nicht
    que el la los las del es como por para una cual cuanto trata
    quel quelle est le les du des et dans c qu quoi comment combien avec"""
)
ENGLISH_MARKERS = _words(
    """what how is are the and of with does do did which why can about in on this that it
    for to"""
)
