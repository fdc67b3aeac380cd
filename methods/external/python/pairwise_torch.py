#!/usr/bin/env python3
"""A small deep method in PyTorch as an external cmhbench method: DCMH's pairwise likelihood
(Jiang and Li, CVPR 2017: −Σ (S θ − log(1 + e^θ)), θ = ½ ⟨f_i, g_j⟩, S = share a label) with a
quantisation term, on feature vectors. Unlike DCMH it trains both MLPs jointly with Adam on each
mini-batch's own pairs (image–text, image–image, text–text), weighs similar and dissimilar pairs
equally, and relaxes codes with tanh; it is an example of the exchange, not a port of DCMH (that
is baselines/dcmh).
Hyper-parameters (the request's "hyper"): epochs, batch_size, lr, hidden, gamma."""
import torch
import torch.nn.functional as fn

from cmhbench_external import Request

req = Request()
torch.manual_seed(req.seed)
torch.set_num_threads(max(req.threads, 1))
req.version(f"pairwise_torch 1 (torch {torch.__version__})")
h = {"epochs": 20, "batch_size": 128, "lr": 1e-3, "hidden": 512, "gamma": 0.1, **req.hyper}
if req.kind("image") != "features" or req.kind("text") != "features":
    raise SystemExit("pairwise_torch reads feature vectors for both modalities (declare kind = \"features\")")
device = torch.device(req.device)
x = torch.from_numpy(req.array("image")).float().to(device)
y = torch.from_numpy(req.array("text")).float().to(device)
labels = torch.from_numpy(req.array("labels")).float().to(device)
train = torch.from_numpy(req.train).to(device)
x = (x - x[train].mean(0)) / (x[train].std(0) + 1e-6)  # standardised with the training items' statistics


def mlp(d):
    return torch.nn.Sequential(torch.nn.Linear(d, h["hidden"]), torch.nn.ReLU(),
                               torch.nn.Linear(h["hidden"], req.bits), torch.nn.Tanh()).to(device)


# Similar and dissimilar pairs weigh the same: where most pairs share a label (MIRFLICKR), a plain
# mean is minimised by one code for every item (measured: every text code equal).
def balanced_nll(theta, s):
    nll = fn.softplus(theta) - s * theta
    return (nll * s).sum() / s.sum().clamp_min(1) + (nll * (1 - s)).sum() / (1 - s).sum().clamp_min(1)


image_net, text_net = mlp(x.shape[1]), mlp(y.shape[1])
optimiser = torch.optim.Adam([*image_net.parameters(), *text_net.parameters()], lr=h["lr"])
for epoch in range(1, h["epochs"] + 1):
    total = {"likelihood": 0.0, "quantisation": 0.0}
    for batch in train[torch.randperm(len(train), device=device)].split(h["batch_size"]):
        f, g = image_net(x[batch]), text_net(y[batch])
        s = (labels[batch] @ labels[batch].T > 0).float()
        likelihood = sum(balanced_nll(t, s) for t in (0.5 * f @ g.T, 0.5 * f @ f.T, 0.5 * g @ g.T))
        b = torch.sign(f + g).detach()
        quantisation = ((b - f) ** 2).mean() + ((b - g) ** 2).mean()
        loss = likelihood + h["gamma"] * quantisation
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        total["likelihood"] += likelihood.item()
        total["quantisation"] += quantisation.item()
    req.progress(epoch=epoch, epochs=h["epochs"], **total)

with torch.no_grad():
    q, d = torch.from_numpy(req.query).to(device), torch.from_numpy(req.database).to(device)
    req.write_codes(image_net(x[q]).cpu().numpy(), text_net(y[q]).cpu().numpy(),
                    image_net(x[d]).cpu().numpy(), text_net(y[d]).cpu().numpy())
