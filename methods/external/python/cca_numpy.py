#!/usr/bin/env python3
"""CCA hashing in NumPy as an external cmhbench method: the algorithm of baselines/cca (ridge
relative to trace/dim on both covariances, C^-1/2 by eigendecomposition, SVD of the whitened
cross-covariance, the top `bits` directions, sign), so its cells match the C++ `cca` cells."""
import numpy as np

from cmhbench_external import Request

req = Request()
req.version(f"cca_numpy 1 (numpy {np.__version__})")
if req.kind("image") != "features" or req.kind("text") != "features":
    raise SystemExit("cca_numpy needs feature vectors for both modalities (declare kind = \"features\")")
reg = float(req.hyper.get("reg", 1e-3))
x, y = req.array("image").astype(np.float64), req.array("text").astype(np.float64)
if req.bits > min(x.shape[1], y.shape[1]):
    raise SystemExit(f"{req.bits} bits but only {min(x.shape[1], y.shape[1])} canonical directions exist")

xt, yt = x[req.train], y[req.train]
mx, my = xt.mean(0, keepdims=True), yt.mean(0, keepdims=True)
xt, yt = xt - mx, yt - my
n = len(xt)


def covariance(a):
    c = a.T @ a / n
    return c + reg * max(np.trace(c) / c.shape[0], 1e-12) * np.eye(c.shape[0])


def inverse_sqrt(c):
    e, v = np.linalg.eigh(c)
    return (v / np.sqrt(np.maximum(e, 1e-12))) @ v.T


wx, wy = inverse_sqrt(covariance(xt)), inverse_sqrt(covariance(yt))
u, s, vt = np.linalg.svd(wx @ (xt.T @ yt / n) @ wy, full_matrices=False)
px, py = wx @ u[:, :req.bits], wy @ vt[:req.bits].T
req.progress(epoch=1, epochs=1, mean_canonical_correlation=float(s[:req.bits].mean()))
req.write_codes((x[req.query] - mx) @ px, (y[req.query] - my) @ py,
                (x[req.database] - mx) @ px, (y[req.database] - my) @ py)
