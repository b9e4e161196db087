"""Kabar's retrieval engine: cleaning, chunking, embedding, the index store, search and answers.

Nothing heavy happens at import time; models and indexes are loaded by explicit calls.
"""

__version__ = "0.1.0"
