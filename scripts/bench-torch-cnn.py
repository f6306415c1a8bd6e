#!/usr/bin/env python3
"""PyTorch's side of `actlab bench --preset lenet5` (issue 26's speed target).

The same network as actlab's `lenet5` preset — conv 6 (5×5, padding 2) → ReLU → max-pool 2 →
conv 16 (5×5) → ReLU → max-pool 2 → conv 120 (5×5) → ReLU → dense 84 → ReLU → 10, PyTorch's
default initialisation, 61,706 parameters — trained on Fashion-MNIST's first 55,000 training
images (actlab holds out the last 5,000) with Adam 1e-3, batch 64, cross-entropy, images scaled
to [0, 1], a fresh shuffle each epoch and the last partial batch dropped, as actlab's loop does.
Prints the fastest epoch's training seconds (steps only, like `train s` in actlab's table).

    python scripts/bench-torch-cnn.py [--threads 2] [--epochs 2] [--batch 64] [--dir DIR]

Needs torch and numpy (not part of the test command: PyPI's torch is a 2 GB+ CUDA build).
"""

import argparse
import gzip
import os
import time
from pathlib import Path


def idx(path: Path):
    import numpy as np

    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory: Path, base: str) -> Path:
    for name in (base, base + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise SystemExit(f"{directory}: no {base}[.gz]")


def lenet5(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()

    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    candidates = [args.dir] if args.dir else [Path("datasets/fashion-mnist"), Path("/usr/share/datasets/fashion-mnist")]
    directory = next((d for d in candidates if d and d.is_dir()), None)
    if directory is None:
        raise SystemExit("no Fashion-MNIST directory: give --dir")
    images = torch.from_numpy(idx(find(directory, "train-images-idx3-ubyte")).copy())
    labels = torch.from_numpy(idx(find(directory, "train-labels-idx1-ubyte")).astype("int64"))
    train_x = (images[:55_000].float() / 255.0).unsqueeze(1)
    train_y = labels[:55_000]

    model = lenet5(nn)
    params = sum(p.numel() for p in model.parameters())
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    steps = len(train_x) // args.batch
    times = []
    for epoch in range(args.epochs):
        order = torch.randperm(len(train_x))
        start = time.perf_counter()
        for step in range(steps):
            ids = order[step * args.batch : (step + 1) * args.batch]
            optim.zero_grad(set_to_none=True)
            loss = loss_fn(model(train_x[ids]), train_y[ids])
            loss.backward()
            optim.step()
        times.append(time.perf_counter() - start)
        print(f"epoch {epoch + 1}: {times[-1]:.3f} s train, last loss {loss.item():.4f}")
    print(
        f"pytorch {torch.__version__} lenet5 ({params} parameters), batch {args.batch}, "
        f"{args.threads} threads: fastest epoch {min(times):.3f} s train "
        f"({steps * args.batch / min(times):.0f} images/s)"
    )


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    main()
