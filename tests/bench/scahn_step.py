#!/usr/bin/python3
"""The Python twin of bench_scahn_step.cpp: the same SCAHN training step (methods/scahn/scahn.cpp,
../shared/design/METHODS.md § SCAHN) in PyTorch's Python frontend (Debian's python3-torch uses the
same libtorch), written from the specification, not generated from the C++, with the layers the
reference code uses (nn.Conv2d where cmhbench computes the same sums as a matrix product, NCHW
pictures where cmhbench's backbones work channels-last): the Python a user would compare with. Prints one line per
benchmark, name threads wall-ms-per-step process-CPU-ms-per-step, after one line per net,
params name count.
Usage: scahn_step.py [threads...] [--seconds S] [--tuned-malloc] [--only NAME]"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH, TRAIN, BITS, LABELS, TEXT_DIM, PIXELS, FEATURE_DIM = 64, 2500, 64, 24, 1386, 32, 512
LR = 0.1  # experiments/default.toml
ALPHA, LAMBDA, GAMMA, BETA = BITS / 32.0, 1.0, 0.01, 2.0


# --- the loss (methods/scahn/scahn_loss.cpp) ---
def share_label(a, b):
    return (a @ b.t() > 0).float()


def nll(s, theta):
    return (F.softplus(theta) - s * theta).mean()


def scahn_loss(out1, out2, s1, s2, s12, other, same, codes1, codes2):
    inter = intra = pair = torch.zeros(())
    for o1, o2 in zip(out1, out2):
        inter = inter + 0.5 * (nll(s1, o1 @ other.t() / ALPHA) + nll(s2, o2 @ other.t() / ALPHA))
        intra = intra + 0.5 * (nll(s1, o1 @ same.t() / ALPHA) + nll(s2, o2 @ same.t() / ALPHA))
        pair = pair + nll(s12, o1 @ o2.t() / ALPHA)
    m = len(out1)
    inter, intra, pair = inter / m, LAMBDA * intra / m, GAMMA * pair / m
    quant = BETA * 0.5 * ((codes1 - out1[-1]).pow(2).sum(1).mean() + (codes2 - out2[-1]).pow(2).sum(1).mean()) / BITS
    total = inter + intra + pair + quant
    values = [inter.item(), intra.item(), pair.item(), quant.item(), total.item()]  # logged per epoch
    return total, values


# --- the networks (methods/scahn/scahn_nets.cpp, methods/nets/image_nets.cpp) ---
class Fusion(nn.Module):
    def __init__(self, bits):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(4, bits).normal_(0.25, 1.0 / bits))

    def forward(self, stages):
        h = stages[0] * self.weight[0]
        for l in range(1, len(stages)):
            h = h + stages[l] * self.weight[l]
        return h


def image_head(dim, bits):
    linear = nn.Linear(dim, bits)
    with torch.no_grad():
        linear.weight.normal_(0.0, 0.01)
        linear.bias.zero_()
    return nn.Sequential(nn.BatchNorm1d(dim), linear, nn.Tanh())


class SmallCnn(nn.Module):  # four conv → BN → ReLU stages, 2×2 max pool between; taps: mean over H, W
    dims = [32, 64, 128, 256]

    def __init__(self):
        super().__init__()
        self.stages, inp = nn.ModuleList(), 3
        for w in self.dims:
            self.stages.append(nn.Sequential(nn.Conv2d(inp, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()))
            inp = w

    def forward(self, x):
        taps = []
        for i, s in enumerate(self.stages):
            x = s(x)
            taps.append(x.mean((2, 3)))
            if i + 1 < len(self.stages):
                x = F.max_pool2d(x, 2)
        return taps


class FeatureMlp(nn.Module):  # four Linear → BN → ReLU stages; taps: each stage's output
    dims = [1024, 1024, 512, 512]

    def __init__(self, d):
        super().__init__()
        self.stages, inp = nn.ModuleList(), d
        for w in self.dims:
            self.stages.append(nn.Sequential(nn.Linear(inp, w), nn.BatchNorm1d(w), nn.ReLU()))
            inp = w

    def forward(self, x):
        taps = []
        for s in self.stages:
            x = s(x)
            taps.append(x)
        return taps


class ImageNet(nn.Module):
    def __init__(self, backbone, bits):
        super().__init__()
        self.backbone = backbone
        self.heads = nn.ModuleList([image_head(d, bits) for d in backbone.dims])
        self.fusion = Fusion(bits)

    def forward(self, x):
        stages = [h(t) for h, t in zip(self.heads, self.backbone(x))]
        return stages, self.fusion(stages)


class Residual(nn.Module):  # no biases; nn.Conv2d throughout, as the reference writes it
    def __init__(self, inp, out, kernel):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(inp, out, (1, 3), padding=(0, 1), bias=False), nn.BatchNorm2d(out),
                                  nn.ReLU(), nn.Conv2d(out, out, kernel, bias=False), nn.BatchNorm2d(out))
        self.shortcut = nn.Sequential(nn.Conv2d(inp, out, kernel, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


class TextNet(nn.Module):
    def __init__(self, t, bits, c=64, head=256):
        super().__init__()
        self.t = t
        self.pools = [min(5 * p, t) for p in (10, 6, 3, 2, 1)]
        self.scale_convs = nn.ModuleList([nn.Conv2d(1, 1, 1) for _ in self.pools])
        self.blocks = nn.ModuleList([Residual(1, c, (t, 1)), Residual(c, 2 * c, (1, 3)),
                                     Residual(2 * c, 4 * c, (1, 3)), Residual(4 * c, 8 * c, (1, 2))])
        self.heads = nn.ModuleList([
            nn.Sequential(nn.Conv2d(ch, head, (1, w), stride=(1, w)), nn.ReLU(),
                          nn.LocalResponseNorm(2, alpha=1e-4, beta=0.75, k=1.0), nn.Conv2d(head, bits, 1), nn.Tanh())
            for ch, w in ((c, 6), (2 * c, 4), (4 * c, 2), (8 * c, 1))])
        for m in self.modules():  # the reference's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)
        self.fusion = Fusion(bits)

    def forward(self, text):
        x = text.view(text.shape[0], 1, self.t, 1)
        views = [x]
        for p, conv in zip(self.pools, self.scale_convs):
            y = torch.relu(conv(F.avg_pool2d(x, (p, 1), (p, 1))))
            views.append(F.interpolate(y, size=(self.t, 1), mode="nearest"))
        h = torch.cat(views, 3)  # [n, 1, T, 6]
        stages = []
        for block, head in zip(self.blocks, self.heads):
            h = block(h)
            stages.append(head(h).flatten(1))
        return stages, self.fusion(stages)


# --- the step (methods/scahn/scahn.cpp: fit's loop body, scahn_augment, scahn_step) ---
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def image_batch(pixels, items):  # uint8 NCHW → float in [0, 1] → ImageNet normalisation
    return (pixels[items].float().div_(255.0) - MEAN) / STD


def augment(x, gen):  # the reference's views: original, h-flip, v-flip, 180 degrees
    u = torch.rand(x.shape[0], 5, generator=gen).tolist()
    out = []
    for i, v in enumerate(u):
        p = x[i]
        if v[0] < 0.8:
            if v[1] < 0.5:
                p = torch.flip(p, [1, 2])
            if v[3] < 0.5:
                p = torch.flip(p, [2])
            if v[4] < 0.5:
                p = torch.flip(p, [1])
        out.append(p)
    return torch.stack(out)


def erase_text(text, gen, fraction=0.2):  # RandomErasure(0.2): int(0.2 T) positions of each row zeroed
    erased = int(text.shape[1] * fraction)
    keys = torch.rand(text.shape, generator=gen, dtype=torch.float64)
    order = torch.sort(keys, dim=1, stable=True).indices
    return text.scatter(1, order[:, :erased], 0.0)


def side_step(stages, fused, b1, b2, labels, other, same, codes, opt):
    def five(begin):
        return [h[begin:begin + BATCH] for h in stages] + [torch.tanh(fused[begin:begin + BATCH])]
    out1, out2 = five(0), five(BATCH)
    same[b1] = out1[-1].detach()
    same[b2] = out2[-1].detach()
    l1, l2 = labels[b1], labels[b2]
    total, values = scahn_loss(out1, out2, share_label(l1, labels), share_label(l2, labels), share_label(l1, l2),
                               other, same, codes[b1], codes[b2])
    opt.zero_grad()
    total.backward()
    opt.step()
    return values


def bench(step, seconds):
    """Wall and process CPU milliseconds per step (as Google Benchmark's real and process time)."""
    for _ in range(3):  # warm-up, as bench_scahn_step.cpp: the first steps grow the heap
        step()
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds or n < 3:
        step()
        n += 1
    return (time.perf_counter() - start) / n * 1000.0, (time.process_time() - cpu) / n * 1000.0


def tune_allocator():
    """What cmhbench does at start-up (harness/common/allocator.cpp), through ctypes."""
    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    return libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1


def count(module):
    return sum(p.numel() for p in module.parameters())


def main():
    if "--tuned-malloc" in sys.argv:
        tune_allocator()
    flagged = {sys.argv.index(f) + 1 for f in ("--seconds", "--only") if f in sys.argv}
    args = [a for i, a in enumerate(sys.argv[1:], 1) if not a.startswith("--") and i not in flagged]
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 3.0
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    threads = [int(a) for a in args if a.isdigit()] or [1, 2]
    torch.manual_seed(0)
    labels = (torch.rand(TRAIN, LABELS) < 0.16).float()
    Fb, Gb = torch.randn(TRAIN, BITS), torch.randn(TRAIN, BITS)
    Bb = torch.sign(Fb + Gb)
    pixels = torch.randint(0, 256, (TRAIN, 3, PIXELS, PIXELS), dtype=torch.uint8)
    features = torch.randn(TRAIN, FEATURE_DIM)
    text = (torch.rand(TRAIN, TEXT_DIM) < 0.0034).float()
    gen = torch.Generator().manual_seed(1)

    def image_stepper(net, pictures):
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=LR)

        def step():
            perm = torch.randperm(TRAIN, generator=gen)
            b1, b2, both = perm[:BATCH], perm[BATCH:2 * BATCH], perm[:2 * BATCH]
            x = augment(image_batch(pixels, both), gen) if pictures else features[both]
            stages, fused = net(x)
            side_step(stages, fused, b1, b2, labels, Gb, Fb, Bb, opt)
        return step

    def text_stepper(net):
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=LR)

        def step():
            perm = torch.randperm(TRAIN, generator=gen)
            b1, b2, both = perm[:BATCH], perm[BATCH:2 * BATCH], perm[:2 * BATCH]
            stages, fused = net(erase_text(text[both], gen))
            side_step(stages, fused, b1, b2, labels, Fb, Gb, Bb, opt)
        return step

    nets = {"scahn_image_step": ImageNet(SmallCnn(), BITS), "scahn_image_mlp_step": ImageNet(FeatureMlp(FEATURE_DIM), BITS),
            "scahn_text_step": TextNet(TEXT_DIM, BITS)}
    for name, net in nets.items():
        print(f"params {name} {count(net)}")
    steps = {"scahn_image_step": image_stepper(nets["scahn_image_step"], True),
             "scahn_image_mlp_step": image_stepper(nets["scahn_image_mlp_step"], False),
             "scahn_text_step": text_stepper(nets["scahn_text_step"])}
    # The order of the C++ program: each benchmark at every thread count, then the next one.
    for name, step in steps.items():
        if only and name != only:
            continue
        for t in threads:
            torch.set_num_threads(t)
            wall, cpu = bench(step, seconds)
            print(f"{name} {t} {wall:.2f} {cpu:.2f}", flush=True)


if __name__ == "__main__":
    main()
