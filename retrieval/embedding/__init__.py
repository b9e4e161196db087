"""The embedding model, on both sides: passages at build time, questions at question time.

:mod:`.embed` loads the configured sentence-transformers model (or the hashing embedder of
the tests) and embeds passages; :mod:`.onnx_export` exports it to ONNX beside the index,
:mod:`.onnx_files` checks the export's files, :mod:`.onnx_embed` runs it with ONNX Runtime,
and :mod:`.runtime` picks the question side's encoder (ONNX when it can, torch otherwise).

Exports: ``Embedder``, ``HashingEmbedder``, ``load_embedder``.
"""

from retrieval.embedding.embed import Embedder, HashingEmbedder, load_embedder

__all__ = ["Embedder", "HashingEmbedder", "load_embedder"]
