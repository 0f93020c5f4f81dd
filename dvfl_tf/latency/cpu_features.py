"""The CPU's model name and the instruction-set flags that decide int8 GEMM speed, from /proc/cpuinfo.

int8 GEMMs beat float32 ones by 3-5x on x86 CPUs with VNNI (AVX-512 VNNI,
AVX-VNNI, AMX-INT8) and by 2-4x on ARM CPUs with dot products (`asimddp`,
i.e. SDOT/UDOT) or `i8mm` (SMMLA); with AVX2 alone they run about as fast as
float32. These are the flags a reader of an int8 benchmark needs.
"""

import os
import platform

# (cpuinfo flag, name shown), strongest first.
X86_INT8_FLAGS = (
    ("amx_int8", "AMX-INT8"),
    ("avx512_vnni", "AVX-512 VNNI"),
    ("avx_vnni", "AVX-VNNI"),
    ("avx512f", "AVX-512F"),
    ("avx2", "AVX2"),
    ("fma", "FMA"),
)
ARM_INT8_FLAGS = (
    ("i8mm", "I8MM"),
    ("asimddp", "dotprod"),
    ("sve2", "SVE2"),
    ("sve", "SVE"),
    ("asimd", "NEON"),
)
# Flags that give int8 dot-product instructions (an int8 GEMM several times faster than float32).
INT8_DOT_FLAGS = frozenset({"amx_int8", "avx512_vnni", "avx_vnni", "i8mm", "asimddp"})


def parse_cpuinfo(text, machine=None):
    """{"cpu_model", "machine", "int8_flags", "int8_dot_product"} from the text of /proc/cpuinfo.

    `int8_flags` names the int8-relevant flags present (e.g. ["AVX2", "FMA"]),
    strongest first; `int8_dot_product` is True where an int8 dot-product
    instruction exists (VNNI, AMX-INT8, ARM dotprod or i8mm).
    """
    model, flags = None, set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "hardware", "cpu model") and model is None and value.strip():
            model = value.strip()
        elif key in ("flags", "features"):
            flags.update(value.split())
    table = X86_INT8_FLAGS if {"avx2", "sse2", "avx"} & flags else ARM_INT8_FLAGS
    if machine is None:
        machine = "x86_64" if table is X86_INT8_FLAGS else "aarch64" if flags else platform.machine()
    return {
        "cpu_model": model or platform.processor() or machine,
        "machine": machine,
        "int8_flags": [name for flag, name in table if flag in flags],
        "int8_dot_product": bool(INT8_DOT_FLAGS & flags),
    }


def host_cpu_features(path="/proc/cpuinfo"):
    """`parse_cpuinfo` of this machine (flags empty where /proc/cpuinfo is missing), with its core count."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        text = ""
    features = parse_cpuinfo(text, machine=platform.machine())
    features["cores"] = os.cpu_count()
    return features


def load_average(path="/proc/loadavg"):
    """The 1, 5 and 15 minute load averages, or None where the system does not report them."""
    try:
        with open(path) as f:
            return [float(value) for value in f.read().split()[:3]]
    except (OSError, ValueError):
        return None
