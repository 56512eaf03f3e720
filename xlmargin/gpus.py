"""GPU server presets for self-hosting a 7-8B model: monthly rent and planning throughput.

Planning throughput is what one server sustains for many clients at once (continuous batching,
vLLM-class serving), derated for latency; it is not the speed of one chat stream, which is 10-30x
lower and would overstate the servers needed (shared/research/market-and-capacity.md, 4.1).
Monthly price = on-demand USD per GPU-hour x 730 hours. Every figure names its source; the
settings file (``[gpus.NAME]``) and the workbook's Assumptions sheet can change or add presets.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_MONTH = 730


@dataclass(frozen=True, slots=True)
class GpuFigures:
    name: str
    usd_per_hour: float
    prefill_tps: float
    decode_tps: float
    source: str

    @property
    def monthly_usd(self) -> float:
        return round(self.usd_per_hour * HOURS_PER_MONTH, 2)


GPUS: tuple[GpuFigures, ...] = (
    GpuFigures(
        "L4", 0.78, 4_500, 1_000,
        "$0.78/h on-demand (RunPod, Mar 2026, deploybase.ai); 1,000 decode / 4,500 prefill tok/s "
        "planning figures for an 8B model (derated from ~1,400 tok/s aggregate "
        "Llama-3-8B on vLLM, fra-vps.com)"),
    GpuFigures(
        "A10G", 1.006, 2_500, 500,
        "$1.006/h AWS g5.xlarge on-demand us-east-1; 500 decode tok/s from the nm-vllm "
        "benchmark (Llama-2-7B, vLLM 0.2.0: 3.82 req/s x 128 out = 490 tok/s); prefill 2,500 "
        "assumed at 5x decode, as the other presets' prefill/decode ratios (4.5-6.7x)"),
    GpuFigures(
        "RTX4090", 0.60, 8_000, 1_200,
        "$0.60/h on-demand (RunPod, Mar 2026); 1,200 decode / 8,000 prefill tok/s planning "
        "figures (Mistral-7B FP16 on vLLM: 1,190 output tok/s at 48 concurrent, "
        "mushfiqrahman.dev)"),
    GpuFigures(
        "A100-80GB", 2.10, 15_000, 2_500,
        "$2.10/h A100 80GB PCIe on-demand (RunPod, Mar 2026); 2,500 decode / 15,000 prefill "
        "tok/s planning figures (Lambda vLLM 0.5.4: Llama-3.1-8B-FP8 1,518 tok/s, "
        "Mistral-7B 1,591 tok/s)"),
    GpuFigures(
        "H100", 1.99, 21_000, 4_000,
        "$1.99/h long-tail H100 (RunPod spot / mercatus-ai.com, 2026); 4,000 decode / 21,000 "
        "prefill tok/s planning figures (vLLM 0.6 8,088 output tok/s on "
        "Llama-3.1-8B-FP8; measured prefill ~35,000 tok/s kernel-only)"),
)
