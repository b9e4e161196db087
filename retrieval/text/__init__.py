"""The shared text layer: language tools every stage uses, below all of them.

Terms (:mod:`.terms`: Sastrawi/Snowball stems, stopwords from :mod:`.wordlists`), language
detection (:mod:`.wordlists`, :mod:`.languages`), the bilingual lexicon of translations and
aliases (:mod:`.lexicon`, data in ``data/``), place names (:mod:`.places`), the small on-disk
caches they share (:mod:`.diskcache`) and datelines and openings of articles
(:mod:`.datelines`). Nothing here imports a stage.

Exports: ``Lexicon``, ``detect_language``, ``terms``.
"""

from retrieval.text.lexicon import Lexicon
from retrieval.text.terms import terms
from retrieval.text.wordlists import detect_language

__all__ = ["Lexicon", "detect_language", "terms"]
