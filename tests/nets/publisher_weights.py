#!/usr/bin/env python3
"""Writes weight files in their publishers' layouts, and the publishers' own forward pass on the
same pictures, for tests/nets/pretrained_weights_test.cpp.

  OUT/resnet18.pth          torch.save(torchvision resnet18().state_dict())   (zip, as torchvision ships)
  OUT/resnet18-legacy.pth   the same in torch.save's pre-1.6 format
  OUT/resnet18-features.f32 torchvision's pooled features (before fc) of OUT/pictures64.u8, [4, 512]
  OUT/pictures64.u8         4 pictures, [4, 3, 64, 64] uint8 (NCHW)
  OUT/vggf.mat              MatConvNet SimpleNN CNN-F with imagenet-vgg-f.mat's layer names, types and
                            shapes (random weights), meta.normalization.averageImage 224x224x3
  OUT/vggf-features.f32     fc7 after ReLU of OUT/pictures224.u8, computed here from MatConvNet's
                            definitions (average image subtracted from 0..255 pixels; LRN
                            x / (kappa + alpha sum x^2)^beta over N channels), [2, 4096]
  OUT/pictures224.u8        2 pictures, [2, 3, 224, 224] uint8
Weights are random (nothing is downloaded); BatchNorm statistics are set away from 0/1 so that
the buffers matter.
"""
import sys

import numpy as np
import scipy.io
import torch
import torch.nn.functional as F
import torchvision

out = sys.argv[1]
torch.manual_seed(0)
np.random.seed(0)

# torchvision ResNet-18, as torchvision.models publishes it.
net = torchvision.models.resnet18()
for m in net.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.running_mean.uniform_(-0.2, 0.2)
        m.running_var.uniform_(0.5, 1.5)
        m.weight.data.uniform_(0.5, 1.5)
        m.bias.data.uniform_(-0.2, 0.2)
net.eval()
torch.save(net.state_dict(), f"{out}/resnet18.pth")
torch.save(net.state_dict(), f"{out}/resnet18-legacy.pth", _use_new_zipfile_serialization=False)
pictures = torch.randint(0, 256, (4, 3, 64, 64), dtype=torch.uint8)
pictures.numpy().tofile(f"{out}/pictures64.u8")
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
with torch.no_grad():
    x = (pictures.float() / 255 - mean) / std
    trunk = torch.nn.Sequential(*list(net.children())[:-1])  # everything before fc
    trunk(x).flatten(1).numpy().astype(np.float32).tofile(f"{out}/resnet18-features.f32")

# MatConvNet CNN-F (imagenet-vgg-f.mat's SimpleNN layout).
def conv(name, h, w, cin, cout, stride, pad):
    W = torch.randn(cout, cin, h, w) * (2.0 / (h * w * cin)) ** 0.5
    b = torch.randn(cout) * 0.01
    weights = np.empty((1, 2), dtype=object)
    weights[0, 0] = W.permute(2, 3, 1, 0).numpy().astype(np.float32)  # h x w x in x out
    weights[0, 1] = b.numpy().astype(np.float32).reshape(1, cout)
    layer = {"name": name, "type": "conv", "weights": weights,
             "stride": np.array([[stride, stride]], dtype=float), "pad": np.array([[pad] * 4], dtype=float)}
    return layer, (W, b, stride, pad)

lrn_param = [5.0, 1.0, 0.05, 0.75]  # N kappa alpha beta (alpha large enough that LRN matters here)
layers, convs = [], {}
def add_conv(*a):
    layer, p = conv(*a)
    layers.append(layer)
    convs[a[0]] = p
def relu(n): layers.append({"name": n, "type": "relu"})
def lrn(n): layers.append({"name": n, "type": "lrn", "param": np.array([lrn_param])})
def pool(n, pad): layers.append({"name": n, "type": "pool", "method": "max", "pool": np.array([[3.0, 3.0]]),
                                 "stride": np.array([[2.0, 2.0]]), "pad": np.array([pad], dtype=float)})
add_conv("conv1", 11, 11, 3, 64, 4, 0); relu("relu1"); lrn("norm1"); pool("pool1", [0, 1, 0, 1])
add_conv("conv2", 5, 5, 64, 256, 1, 2); relu("relu2"); lrn("norm2"); pool("pool2", [0, 0, 0, 0])
add_conv("conv3", 3, 3, 256, 256, 1, 1); relu("relu3")
add_conv("conv4", 3, 3, 256, 256, 1, 1); relu("relu4")
add_conv("conv5", 3, 3, 256, 256, 1, 1); relu("relu5"); pool("pool5", [0, 0, 0, 0])
add_conv("fc6", 6, 6, 256, 4096, 1, 0); relu("relu6")
add_conv("fc7", 1, 1, 4096, 4096, 1, 0); relu("relu7")
add_conv("fc8", 1, 1, 4096, 1000, 1, 0)
layers.append({"name": "prob", "type": "softmax"})
cells = np.empty((1, len(layers)), dtype=object)
for k, layer in enumerate(layers):
    cells[0, k] = layer
average = (torch.rand(3, 224, 224) * 60 + 90)
scipy.io.savemat(f"{out}/vggf.mat", {"layers": cells, "meta": {"normalization": {
    "averageImage": average.permute(1, 2, 0).numpy().astype(np.float32), "imageSize": np.array([[224.0, 224, 3]])}}})

def mcn_lrn(x):  # MatConvNet's vl_nnnormalize: N channels centred on c
    n, kappa, alpha, beta = lrn_param
    sq = F.pad(x * x, (0, 0, 0, 0, int(n - 1) // 2, int(n) // 2))
    s = sum(sq[:, j:j + x.size(1)] for j in range(int(n)))
    return x / (kappa + alpha * s) ** beta

def mcn_conv(x, name):
    W, b, stride, pad = convs[name]
    return F.conv2d(x, W, b, stride=stride, padding=pad)

pictures = torch.randint(0, 256, (2, 3, 224, 224), dtype=torch.uint8)
pictures.numpy().tofile(f"{out}/pictures224.u8")
with torch.no_grad():
    x = pictures.float() - average.unsqueeze(0)
    x = F.max_pool2d(F.pad(mcn_lrn(F.relu(mcn_conv(x, "conv1"))), (0, 1, 0, 1)), 3, 2)
    x = F.max_pool2d(mcn_lrn(F.relu(mcn_conv(x, "conv2"))), 3, 2)
    for name in ("conv3", "conv4", "conv5"):
        x = F.relu(mcn_conv(x, name))
    x = F.max_pool2d(x, 3, 2)
    x = F.relu(mcn_conv(F.relu(mcn_conv(x, "fc6")), "fc7"))
    x.flatten(1).numpy().astype(np.float32).tofile(f"{out}/vggf-features.f32")
