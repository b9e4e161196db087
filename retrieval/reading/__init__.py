"""Reading and cleaning articles: seeds folder → cleaned, de-duplicated articles.

The first stage. :func:`read_corpus` lists the folder safely (:mod:`.files`: no links out,
no special files, a size cap), hands each file to the reader of its suffix (:mod:`.readers`,
the article-reader seam), which decodes it and removes scrape noise (:mod:`.clean`,
:mod:`.noise`) and reads title, outlet, place and date (:mod:`.dates`); copies of one story
become one article (:mod:`.dedupe`). :func:`fingerprint` describes the folder cheaply, for
deciding whether the index is stale.

Exports: ``read_corpus``, ``fingerprint``, ``list_article_files``, ``Article``, ``Corpus``,
``Skipped``, ``ArticleReader``, ``ReadArticle``, ``NotAnArticle``, ``READERS`` and ``formats``
(the formats read, named from ``READERS``, for messages and help texts).
"""

from retrieval.reading.corpus import Article, Corpus, fingerprint, list_article_files, read_corpus
from retrieval.reading.files import Skipped
from retrieval.reading.readers import READERS, ArticleReader, NotAnArticle, ReadArticle, formats

__all__ = ["READERS", "Article", "ArticleReader", "Corpus", "NotAnArticle", "ReadArticle",
           "Skipped", "fingerprint", "formats", "list_article_files", "read_corpus"]
