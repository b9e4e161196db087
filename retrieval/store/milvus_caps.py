"""What a Milvus can do, found by trying it once per process and URI (never by its version).

Milvus 2.4+ and Milvus Lite hold sparse vectors and run a hybrid search (two vector
requests in one call): a chunk collection then holds each chunk's BM25 weights beside its
vector, and a question is one call (:data:`HYBRID`). A 2.3 server has neither: the chunk
collection holds the dense vectors only, the BM25 side stays in the version's files
collection (loaded with the version, so a replica still needs no local folder) and is scored
in this process, as with FAISS (:data:`DENSE`). Both give the same answers.

The probe creates a tiny collection with a sparse field, its index and a hybrid search, and
drops it again (about 0.1 s); what a server refuses there is an answer, anything else (it is
down, the token is wrong) is raised.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

__all__ = ["DENSE", "HYBRID", "MODES", "probe", "probe_cached", "search_mode"]

#: Sparse vectors and hybrid search in Milvus.
HYBRID = "hybrid"
#: Dense vectors in Milvus, BM25 scored beside them in this process.
DENSE = "dense"
#: How ``kabar status`` names each mode.
MODES = {HYBRID: "hybrid search: dense and BM25 sparse vectors in Milvus",
         DENSE: "dense search in Milvus, BM25 beside it: the server has no sparse vectors"}
_probed: dict[str, str] = {}


def probe_cached(client: Any, uri: str) -> str:
    """:func:`probe`, once per process and URI."""
    if uri not in _probed:
        _probed[uri] = probe(client)
    return _probed[uri]


def probe(client: Any) -> str:
    """:data:`HYBRID` when ``client``'s Milvus holds sparse vectors and runs hybrid
    searches, else :data:`DENSE`.

    Raises:
        Exception: pymilvus' own, when Milvus fails for another reason (down, refused).
    """
    from pymilvus import AnnSearchRequest, DataType, MilvusClient, MilvusException, RRFRanker

    name = f"kabar_probe_{uuid.uuid4().hex}"
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=2)
    try:
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    except (AttributeError, MilvusException):  # a client without the type
        return DENSE
    params = client.prepare_index_params()
    params.add_index("dense", index_type="FLAT", metric_type="IP")
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    try:
        client.create_collection(name, schema=schema, index_params=params)
        client.insert(name, [{"id": 0, "dense": [1.0, 0.0], "sparse": {1: 1.0}}])
        client.hybrid_search(name, [
            AnnSearchRequest(data=[[1.0, 0.0]], anns_field="dense",
                             param={"metric_type": "IP"}, limit=1),
            AnnSearchRequest(data=[{1: 1.0}], anns_field="sparse",
                             param={"metric_type": "IP"}, limit=1)], RRFRanker(60), limit=2)
    except MilvusException as exc:
        if _refused(exc):
            return DENSE
        raise
    finally:
        # A 2.3 server creates the collection, then refuses its sparse index.
        with contextlib.suppress(Exception):
            client.drop_collection(name)
    return HYBRID


def search_mode(client: Any, collection: str) -> str:
    """The mode a chunk collection was built in: :data:`HYBRID` when it has a sparse field."""
    fields = client.describe_collection(collection).get("fields", [])
    return HYBRID if any(f.get("name") == "sparse" for f in fields) else DENSE


def _refused(exc: Exception) -> bool:
    """Whether Milvus refused the request as unsupported or invalid (not: failed to run)."""
    code = getattr(exc, "code", None)
    text = str(getattr(exc, "message", "") or exc).lower()
    # 1100: invalid parameter ("create index on 104 field is not supported");
    # 1: unimplemented RPCs on older servers.
    return code in (1, 1100) or "not supported" in text or "unimplemented" in text
