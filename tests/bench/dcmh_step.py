#!/usr/bin/python3
"""The Python twin of bench_dcmh_step.cpp: the same DCMH training step (methods/dcmh/dcmh_loss.cpp,
the training loop's bank write and its four logged loss values) in PyTorch's Python frontend
(Debian's python3-torch uses the same libtorch). Prints 'params NAME COUNT' per net, then one line
per benchmark: name threads milliseconds-per-step.
Usage: dcmh_step.py [threads...] [--seconds S] [--tuned-malloc]"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from mlsph_step import SmallCnn, bench, tune_allocator

BATCH, TRAIN, BITS, LABELS, TEXT_DIM, PIXELS, HIDDEN = 16, 2500, 64, 24, 1386, 32, 1024
GAMMA, ETA = 1.0, 1.0


def dcmh_loss(f, batch_labels, all_labels, other, same, codes, pos):
    n, bs = other.shape[0], f.shape[0]
    norm = float(n) * float(bs)
    s = (batch_labels @ all_labels.t() > 0).float()
    theta = 0.5 * (f @ other.t())
    log_term = (F.softplus(theta) - s * theta).sum() / norm
    quant = (codes - f).pow(2).sum() / norm
    outside = torch.ones(n, 1)
    outside[pos] = 0.0
    balance = (f.sum(0) + (same * outside).sum(0)).pow(2).sum() / norm
    total = log_term + GAMMA * quant + ETA * balance
    # The training loop logs the four values every step.
    log_term.item(), quant.item(), balance.item(), total.item()
    return total


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
    text_net = nn.Sequential(nn.Linear(TEXT_DIM, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, BITS))
    txt_opt = torch.optim.SGD(text_net.parameters(), lr=0.01)
    y = (torch.rand(BATCH, TEXT_DIM) < 0.0034).float()
    count = lambda *nets: sum(p.numel() for m in nets for p in m.parameters())
    print(f"params dcmh_image_step {count(backbone, head)}")
    print(f"params dcmh_text_step {count(text_net)}")

    def image_step():
        f = head(backbone(x))
        Fb[pos] = f.detach()
        loss = dcmh_loss(f, labels[pos], labels, Gb, Fb, Bb[pos], pos)
        img_opt.zero_grad()
        loss.backward()
        img_opt.step()

    def text_step():
        g = text_net(y)
        Gb[pos] = g.detach()
        loss = dcmh_loss(g, labels[pos], labels, Fb, Gb, Bb[pos], pos)
        txt_opt.zero_grad()
        loss.backward()
        txt_opt.step()

    for t in threads:
        torch.set_num_threads(t)
        print(f"dcmh_image_step {t} {bench(image_step, seconds):.2f}")
        print(f"dcmh_text_step {t} {bench(text_step, seconds):.2f}")


if __name__ == "__main__":
    main()
