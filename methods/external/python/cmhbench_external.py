"""The few things every external cmhbench method does: read the request, load the data items
first, report progress, write the codes. Needs NumPy and SciPy (h5py only for v7.3 files).
Format reference: methods/external/README.md."""
import json
import os

import numpy as np
import scipy.io

FORMAT = "cmhbench-external-request/1"
# The axes each kind of array is returned in: items first.
_ITEMS_FIRST = {"labels": "nl", "features": "nd", "pixels": "nchw"}


class Request:
    def __init__(self, path=None):
        with open(path or os.environ["CMHBENCH_REQUEST"]) as f:
            self.raw = json.load(f)
        if self.raw.get("format") != FORMAT:
            raise SystemExit(f"request format {self.raw.get('format')!r}; this helper reads {FORMAT!r}")
        self.bits, self.seed = self.raw["bits"], self.raw["seed"]
        self.threads, self.device, self.hyper = self.raw["threads"], self.raw["device"], self.raw["hyper"]
        items = self.raw["items"]
        self.train, self.query, self.database = (np.asarray(items[k], dtype=np.int64) for k in ("train", "query", "database"))
        fd = os.environ.get("CMHBENCH_PROGRESS_FD")
        # closefd=False: a second Request (or its collection) must not close the channel.
        self._progress = os.fdopen(int(fd), "w", buffering=1, closefd=False) if fd else None

    def kind(self, name):
        """'features' or 'pixels' for "image" and "text"; 'labels' for "labels"."""
        return self.raw["data"][name]["kind"]

    def array(self, name):
        """"labels" (n × L uint8), "image" or "text" (n × D float32, or n × C × H × W uint8)."""
        e = self.raw["data"][name]
        try:
            a = scipy.io.loadmat(e["file"], variable_names=[e["variable"]])[e["variable"]]
        except NotImplementedError:  # MATLAB v7.3 (HDF5) stores the reversed shape
            import h5py
            with h5py.File(e["file"], "r") as f:
                a = np.asarray(f[e["variable"]]).transpose()
        a = a.reshape(tuple(e["dims"]))  # MATLAB drops trailing singleton axes
        axes, target = e["axes"], _ITEMS_FIRST[e["kind"]]
        target = target if e["kind"] == "pixels" else target[0] + axes.replace("n", "")
        return np.ascontiguousarray(a.transpose([axes.index(c) for c in target]))

    def progress(self, **values):
        """One progress line: epoch=N (1-based), epochs=M, and any numbers (losses, rates)."""
        if self._progress:
            self._progress.write(json.dumps(values) + "\n")

    def version(self, text):
        """The program's version line, stored with every run it makes."""
        self.progress(version=text)

    def write_codes(self, q_img, q_txt, r_img, r_txt):
        """Codes of the query and database items in the request's order, items × bits; real values are
        binarised by sign (> 0 → +1, else −1). Written to a temporary name, then renamed."""
        codes = {k: np.where(np.asarray(v) > 0, 1, -1).astype(np.int8)
                 for k, v in (("q_img", q_img), ("q_txt", q_txt), ("r_img", r_img), ("r_txt", r_txt))}
        path = self.raw["codes_file"]
        scipy.io.savemat(path + ".tmp.mat", codes)
        os.replace(path + ".tmp.mat", path)
