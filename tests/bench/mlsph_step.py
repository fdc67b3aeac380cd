#!/usr/bin/python3
"""The Python twin of bench_mlsph_step.cpp: the same MLSPH training step in PyTorch's Python
frontend (Debian's python3-torch uses the same libtorch). Prints one line per benchmark:
name threads milliseconds-per-step. Usage: mlsph_step.py [threads...] [--seconds S] [--tuned-malloc]"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH, TRAIN, BITS, LABELS, TEXT_DIM, PIXELS = 128, 2500, 64, 24, 1386, 32


def jaccard2(a, b):
    inter = a @ b.t()
    union = a.sum(1, keepdim=True) + b.sum(1, keepdim=True).t() - inter
    return torch.where(union > 0, 2.0 * inter / union.clamp_min(1e-12), torch.zeros_like(inter))


def mlsph_loss(f, batch_labels, all_labels, other, same, codes):
    n, bs, k = other.shape[0], f.shape[0], f.shape[1]
    s = jaccard2(batch_labels, all_labels)
    fn, on, sn = F.normalize(f, dim=1), F.normalize(other, dim=1), F.normalize(same, dim=1)
    cross = (s - fn @ on.t()).pow(2).sum() / (n * bs)
    intra = (s - fn @ sn.t()).pow(2).sum() / (n * bs)
    quant = (codes - f).pow(2).sum() / (bs * k)
    return 10.0 * (1.0 * cross + 1.4 * intra + 0.1 * quant)


class SmallCnn(nn.Module):  # methods/nets/image_nets.cpp SmallCnn
    def __init__(self):
        super().__init__()
        widths, inp, self.stages = [32, 64, 128, 256], 3, nn.ModuleList()
        for w in widths:
            self.stages.append(nn.Sequential(nn.Conv2d(inp, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()))
            inp = w

    def forward(self, x):
        for i, s in enumerate(self.stages):
            x = s(x)
            if i + 1 < len(self.stages):
                x = F.max_pool2d(x, 2)
        return x.mean((2, 3))


class TextNet(nn.Module):  # methods/mlsph/mlsph_text_net.cpp
    def __init__(self, t, bits, hidden=4096, mid=512):
        super().__init__()
        self.t, self.pools = t, [min(p, t) for p in (50, 30, 15, 10, 5)]
        self.branches = nn.ModuleList([nn.Conv2d(1, 1, 1) for _ in self.pools])
        self.feature = nn.Conv2d(6, hidden, (t, 1))
        self.bn1 = nn.BatchNorm2d(hidden)
        self.mid = nn.Conv2d(hidden, mid, 1)
        self.bn2 = nn.BatchNorm2d(mid)
        self.hash = nn.Conv2d(mid, bits, 1)

    def forward(self, text):
        x = text.view(text.shape[0], 1, self.t, 1)
        ch = [x]
        for p, conv in zip(self.pools, self.branches):
            y = torch.relu(conv(F.avg_pool2d(x, (p, 1), (p, 1))))
            ch.append(F.interpolate(y, size=(self.t, 1), mode="bilinear", align_corners=True))
        h = self.bn1(torch.relu(self.feature(torch.cat(ch, 1))))
        h = self.bn2(torch.relu(self.mid(h)))
        return torch.tanh(self.hash(h)).flatten(1)


def bench(step, seconds):
    step()  # warm-up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or n < 3:
        step()
        n += 1
    return (time.perf_counter() - start) / n * 1000.0


def tune_allocator():
    """What cmhbench does at start-up (harness/common/allocator.cpp), through ctypes."""
    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    return libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1


def main():
    if "--tuned-malloc" in sys.argv:
        tune_allocator()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 3.0
    threads = [int(a) for a in args if a.isdigit()] or [1, 2]
    torch.manual_seed(0)
    labels = (torch.rand(TRAIN, LABELS) < 0.16).float()
    Fb, Gb = torch.randn(TRAIN, BITS), torch.randn(TRAIN, BITS)
    Bb = torch.sign(Fb + Gb)
    pos = torch.randperm(TRAIN)[:BATCH]

    backbone, head = SmallCnn(), nn.Linear(256, BITS)
    img_opt = torch.optim.SGD(list(backbone.parameters()) + list(head.parameters()), lr=0.01)
    x = torch.randn(BATCH, 3, PIXELS, PIXELS)

    def image_step():
        f = torch.tanh(head(backbone(x)))
        Fb[pos] = f.detach()
        loss = mlsph_loss(f, labels[pos], labels, Gb, Fb, Bb[pos])
        img_opt.zero_grad()
        loss.backward()
        img_opt.step()

    text_net = TextNet(TEXT_DIM, BITS)
    txt_opt = torch.optim.SGD(text_net.parameters(), lr=0.01)
    y = (torch.rand(BATCH, TEXT_DIM) < 0.0034).float()

    def text_step():
        g = text_net(y)
        Gb[pos] = g.detach()
        loss = mlsph_loss(g, labels[pos], labels, Fb, Gb, Bb[pos])
        txt_opt.zero_grad()
        loss.backward()
        txt_opt.step()

    for t in threads:
        torch.set_num_threads(t)
        print(f"mlsph_image_step {t} {bench(image_step, seconds):.2f}")
        print(f"mlsph_text_step {t} {bench(text_step, seconds):.2f}")


if __name__ == "__main__":
    main()
