"""`ConvAutoEncoder` and `ContextEncoder`: `AutoEncoderModule` with convolutional parts, for
images. Denoising is a corruption, colorization is `fit(X, Y)` with targets of other channels,
and the context encoder is a centre/random block corruption with the loss on the block."""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from aekit.nn.corruptions import BLOCK_POSITIONS, CORRUPTIONS, BlockMasking, Corruption, check_unit_range, make_corruption
from aekit.estimators._pca_start import INITS, PCAStart, check_init
from aekit.estimators.base import TRAINING_CONSTRAINTS, BaseAutoEncoder, _ndim, image_shape, one_of, positive_ints
from aekit.data.chroma import LUMA_STANDARDS, colour_from_chroma, matching_luma, to_chroma
from aekit.data.columns import user_stacklevel
from aekit.data.images import channels_last_message, looks_channels_last, other_shape_message
from aekit.data.masks import boolean_mask
from aekit.nn.likelihoods import COUNT_LIKELIHOODS, LIKELIHOODS, check_counts, likelihood_name, make_likelihood, output_activation_for
from aekit.nn.models import AutoEncoderModule
from aekit.nn.pca_start import choose_symmetry, start_conv_as_pca
from aekit.nn import ACTIVATIONS
from aekit.nn.conv import BOTTLENECKS, INTERPOLATIONS, UPSAMPLINGS, ConvDecoder, ConvEncoder, Handoff

__all__ = ["ContextEncoder", "ConvAutoEncoder"]

COLORIZATIONS = ("auto", "chroma", "direct")
CHROMA_LOSS = "l1"  # loss='auto' for colorization_='chroma'; 'mse' otherwise
CHROMA_DROPOUT = 0.2  # dropout='auto' for colorization_='chroma'; 0 otherwise
CHROMA_COARSENESS = 8  # chroma_coarseness='auto' (see there)
IMAGE_LAYOUTS = (
    "images (n_samples, channels, height, width) or (n_samples, height, width), or rows (n_samples, n_features)"
)


def inferred_shape(n_features: int) -> tuple[int, int, int]:
    """The shape assumed for flat rows without `input_shape`: a square single-channel image
    when n_features is a perfect square. Any other width is refused: it may be colour, or an
    image of another aspect ratio, and a 1 x n_features strip trains as neither."""
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(
            f"X has flat rows of {n_features} features, which are not a square one-channel image, and input_shape "
            "is None: pass input_shape=(channels, height, width) whose product is the row length (e.g. (3, 32, 32) "
            "for colour rows of 3,072), or give X as images (n_samples, channels, height, width)"
        )
    return (1, side, side)


def _images(X, name: str = "X") -> np.ndarray | None:
    """X as an array when it holds images (3-D or 4-D), None for rows (left to validate_data);
    a list of images of several sizes is refused naming two of them."""
    ndim = _ndim(X)
    if ndim in (3, 4):
        return np.asarray(X)
    if ndim is not None and ndim > 4:
        raise ValueError(f"{name} must be {IMAGE_LAYOUTS}; got an array of shape {np.shape(X)}")
    if ndim is None and isinstance(X, (list, tuple)):
        _refuse_several_sizes(X, name)
    return None


def _refuse_several_sizes(X: list | tuple, name: str) -> None:
    """Refuse a list of images (each (H, W) or (C, H, W)) whose shapes differ, naming the first
    that differs from image 0."""
    shapes = [np.shape(x) if _ndim(x) in (2, 3) else None for x in X]
    if None in shapes or not shapes:
        return
    i = next((i for i, shape in enumerate(shapes) if shape != shapes[0]), None)
    if i is not None:
        raise ValueError(
            f"{name} is a list of images of several shapes: {name}[{i}] is {shapes[i]} but {name}[0] is {shapes[0]}; "
            "give images of one size, (channels, height, width) or (height, width) grey: resize them first (PIL's "
            "Image.resize, or aekit.data.datasets.load_image_folder(folder, size=(height, width)))"
        )


def _refuse_channels_last(images: np.ndarray, expected: tuple[int, int, int] | None) -> None:
    """Refuse a 4-D X that looks channels-last: its (H, W, C) moved to (C, H, W) is the
    `expected` shape, or, with nothing expected, its last axis looks like channels."""
    if images.ndim != 4:
        return
    shape = tuple(int(s) for s in images.shape[1:])
    if shape == expected:
        return
    if expected is None and looks_channels_last(shape):
        raise ValueError(
            f"{channels_last_message('X', images.shape)}. If they really are {shape[0]}-channel images of "
            f"{shape[1]}x{shape[2]} pixels, pass input_shape={shape}"
        )
    if (shape[2], shape[0], shape[1]) == expected:
        raise ValueError(channels_last_message("X", images.shape))


def _warn_channels_last_shape(shape: tuple[int, int, int]) -> None:
    """Warn that flat rows read with an `input_shape` that looks channels-last (32, 32, 3) are
    read as that many channels of narrow images, naming the channels-first shape and reordering."""
    if not looks_channels_last(shape):
        return
    c, h, w = shape
    warnings.warn(
        f"input_shape={shape} reads each row as {c} channels of {h}x{w} pixels, as aekit images are channels-first "
        f"(channels, height, width); if the rows hold {c}x{h} images of {w} channels stored channels-last, pass "
        f"input_shape={(w, c, h)} and the rows channels-first: X.reshape(len(X), {c}, {h}, {w}).transpose(0, 3, 1, 2)"
        ".reshape(len(X), -1)",
        UserWarning, stacklevel=user_stacklevel(),
    )


def _check_chroma_range(**arrays: np.ndarray) -> None:
    """Refuse gray inputs or colour targets beyond [0, 1] for chroma colorization, which
    rebuilds colour on [0, 1] around the gray input's lightness (8-bit values would give other colours)."""
    for name, values in arrays.items():
        low, high = float(values.min()), float(values.max())
        if not (low >= 0 and high <= 1):
            raise ValueError(
                f"colorization_='chroma' rebuilds colour on [0, 1] around the gray X's lightness, but {name} holds values "
                f"in [{low:.4g}, {high:.4g}]: scale X and Y to [0, 1] (8-bit pixels / 255), or pass colorization='direct' "
                "to predict Y's channels in their own units"
            )


def _check_dropout(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError("must be a number in [0, 1)")
    return float(value)


def _check_coarseness(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("must be a positive integer")
    return value


def _check_colorization(value) -> str:
    if value not in ("chroma", "direct"):
        raise ValueError("must be 'chroma' or 'direct'")
    return value


class ImageInput:
    """Input of the convolutional estimators: images (n, C, H, W) or (n, H, W), or rows with
    `input_shape`, the shape kept as `input_shape_` (channels, height, width)."""

    def _validate_X(self, X, reset: bool):
        """Images (n, C, H, W) or (n, H, W), or rows, as finite rows (n, C*H*W); sets
        `input_shape_` when `reset`, else checks images against it."""
        images = _images(X)
        shape = None
        if images is not None:
            if not reset:
                _refuse_channels_last(images, self.input_shape_)
            else:
                _refuse_channels_last(images, None if self.input_shape is None else image_shape(self.input_shape))
            shape = (1, *images.shape[1:]) if images.ndim == 3 else tuple(int(s) for s in images.shape[1:])
            X = images.reshape(images.shape[0], math.prod(shape))
        if not reset and shape is not None and shape != self.input_shape_:
            raise ValueError(other_shape_message(type(self).__name__, images.shape, shape, self.input_shape_))
        rows = super()._validate_X(X, reset)
        if reset:
            self.input_shape_ = self._resolve_input_shape(shape, int(rows.shape[1]))
            if shape is None and self.input_shape is not None:
                _warn_channels_last_shape(self.input_shape_)
        if images is not None:
            self._warn_integer_images(images, reset)
        return rows

    def _resolve_input_shape(self, shape: tuple[int, ...] | None, n_features: int) -> tuple[int, int, int]:
        if self.input_shape is None:
            return shape if shape is not None else inferred_shape(n_features)
        declared = image_shape(self.input_shape)
        if shape is not None and shape != declared:
            raise ValueError(f"X has images of shape {shape}, but input_shape={declared} (channels, height, width)")
        if math.prod(declared) != n_features:
            raise ValueError(
                f"X has {n_features} features, but input_shape={declared} needs {math.prod(declared)} "
                "(channels * height * width)"
            )
        return declared


class ConvAutoEncoder(PCAStart, ImageInput, BaseAutoEncoder):
    """Convolutional autoencoder for images, with scikit-learn's transformer interface.

    The encoder halves height and width at each of `channels`' stages (strided convolutions;
    convolution + max-pooling when `upsampling='unpool'`), then maps to a `latent_dim` code;
    the decoder mirrors it and returns images of exactly the input's size, odd sizes included.
    X is images (n, C, H, W) or (n, H, W), or flat rows (n, C*H*W) in channels-first order
    with `input_shape` (`aekit.data.images`). `transform` gives codes, `reconstruct` images in X's
    layout, `inverse_transform` rows (see there). Channels-last images (n, H, W, C), as PIL or
    matplotlib give them, are refused with the fix (`aekit.data.images.channels_first(X)`) when
    their last axis looks like channels (1 to 4, fewer than axis 1) and `input_shape` does not
    say otherwise.

    Denoising: set `corruption` (training only). Image-to-image: `fit(X, Y)` with targets Y of
    the same height and width and any number of channels; `skips=True` hands the encoder's
    feature maps to the decoder (U-Net style) so detail need not pass the code. Colorization
    (gray X of one channel, colour Y of three): by default the model predicts colour only, the
    two chroma channels, and `reconstruct` adds them to the input's lightness, which it keeps
    exactly (`aekit.data.chroma`).

    Parameters
    ----------
    latent_dim : int, default=16
        Size of the code for bottleneck='dense'; code channels for bottleneck='conv'.
    input_shape : (channels, height, width), (height, width) or None, default=None
        Shape of each row of a flat X. None: taken from 3-D/4-D X; for flat X, a square
        one-channel image when n_features is a perfect square, else X is refused (pass
        input_shape, or X as images).
    channels : sequence of int, default=(32, 64)
        Widths of the encoder stages; each halves height and width (rounding up).
    kernel_size : int, default=3
        Odd side of every convolution kernel.
    upsampling : {'interpolate', 'transposed', 'unpool'}, default='interpolate'
        Decoder upsampling: resize then convolve, stride-2 transposed convolution, or
        max-unpooling with the encoder's pooling indices then a convolution.
    interpolation : {'auto', 'nearest', 'bilinear'}, default='auto'
        Resize mode for upsampling='interpolate' (refused with the others). 'auto': bilinear for colorization_='chroma'
        (chroma is smooth: on photo patches nearest-neighbour upsampling left blocks in it that
        cost SSIM against the gray copy), else nearest.
    bottleneck : {'dense', 'conv'}, default='dense'
        'dense': a linear map to a `latent_dim` vector; 'conv': a fully convolutional code of
        `latent_dim` channels at the smallest size (transform gives it flattened).
    skips : bool, default=False
        U-Net style skip connections: every decoder stage also convolves the encoder's feature
        maps of its size (the input image at full size). For image-to-image models (denoising,
        inpainting, colorization); a plain autoencoder with skips can copy its input past the
        code. Codes decoded on their own (`inverse_transform`) get no skips.
    colorization : {'auto', 'chroma', 'direct'}, default='auto'
        For `fit(X, Y)` with gray X and colour Y: 'chroma' predicts the colour only (B - Y and
        R - Y of the target, scikit-image's `rgb2gray` luma) and `reconstruct` rebuilds colour
        around the input's lightness, kept exactly (chroma shortened towards gray where a
        channel would leave [0, 1]); 'direct' predicts the target channels as they are. 'auto'
        is 'chroma' for one input channel and three target channels, else 'direct';
        `colorization_` says which was used.
    chroma_coarseness : int or 'auto', default='auto'
        For colorization_='chroma': side in pixels of the blocks the chroma is predicted in
        (block averages of the decoder's output, resized back bilinearly); 1 predicts every
        pixel's. 'auto' is 8. Why: natural colour varies slowly, and colorization models
        predict it at a fraction of the resolution; fine colour detail learned from the
        training photos was wrong on others. Leaving each of six photos out in turn (2,000
        patches of 32 x 32), 8 coloured the unseen photo at pooled SSIM 0.862 against 0.854
        with 1 and PSNR 18.72 against 18.66 dB (gray copy 0.865, 17.77 dB); on two photos
        unlike the four it learned from, 16.18 dB / 0.723 against 15.10 / 0.674 (gray copy
        18.69 / 0.807; benchmarks/conv_images.py --part photos); 8 was picked among 1, 4, 8
        and 16 in short runs on the same photos. Other values are refused for
        colorization_='direct'.
    init : {'auto', 'pca', 'random'}, default='auto'
        'pca' adds a linear path beside the convolutions (a linear map of the image added to
        the code, and one of the code added to the output) and starts it as the PCA of the
        training images, the convolutional path's last layers at zero: training starts at
        PCA's reconstruction and the convolutions learn what PCA leaves (see
        `aekit.nn.pca_start`). Needs a real-valued loss ('mse', 'l1', 'gaussian', 'student_t')
        with a linear output (output_activation 'auto' or 'linear'), bottleneck='dense', no
        skips, and targets that are the input. The start is the PCA of the training split's
        images, or of those images with their mirror images (and quarter turns when square),
        whichever reconstructs the validation images better (photographs look alike flipped,
        handwriting does not): `history_['settings']['pca_symmetry']`. When no epoch beats it
        on the validation images it is refitted on all the rows given to `fit`
        (`history_['settings']['start_refitted_rows']`). 'auto' is 'pca' for colour images
        where it applies and 'random' (no linear path) for grey ones and elsewhere; `init_`
        says which. Why: on 2,000 colour photo patches, code size 32, the PCA start ended
        2.9 % below PCA(32) in held-out MSE (0.005369 against 0.005532) where the random start
        ended 7.5 % above, while on grey Fashion-MNIST (code size 16, 120 s, the plain PCA
        chosen) it ended at 0.0135 against the random start's 0.0114
        (benchmarks/conv_images.py --part photos).
    activation : str, default='elu'
        Hidden non-linearity. ELU rather than ReLU: on MNIST a ReLU model (no batch norm) lost
        its units within the first epoch and decoded every image to black (training loss stuck
        at 0.1125 over 4 epochs, two seeds), which ELU and batch norm both avoid.
    batch_norm : bool, default=False
        Batch normalisation after every hidden convolution.
    dropout : float or 'auto', default='auto'
        Dropout rate after every hidden convolution. 'auto': 0.2 for colorization_='chroma'
        (see `loss`), else 0; `dropout_` records it.
    output_activation : {'auto', 'sigmoid', 'linear'}, default='auto'
        'auto': linear when the model starts as PCA (see `init`), else sigmoid when loss='bce'
        or the targets lie in [0, 1].
    loss : {'auto', 'mse', 'bce', 'l1', 'gaussian', 'student_t'}, default='auto'
        'auto': 'l1' for colorization_='chroma', else 'mse'; `loss_` records it. Why: colour
        is ambiguous from gray, and the median colour (l1) with dropout stays nearer gray where
        the training photos disagree; leaving each of six photos out in turn, it coloured the
        unseen one at 18.72 dB pooled PSNR and SSIM 0.858 against 18.08 / 0.837 with 'mse' and
        no dropout (gray copy 17.77 / 0.865; benchmarks/conv_images.py --part photos).
    corruption : {None, 'gaussian', 'clipped_gaussian', 'mask', 'salt_pepper', 'block'}, default=None
        Training noise (denoising autoencoder); 'block' zeroes one randomly placed patch per
        image, the same pixels in every channel, its height and width those of the image times
        the square root of `corruption_level` (a square only on square images);
        'clipped_gaussian' clips to [0, 1] and 'salt_pepper' writes 0 or 1: both refuse X beyond.
    corruption_level : float, default=0.2
        Noise std for the Gaussian corruptions, else the fraction of pixels (block area). Without a
        corruption, refused unless at its default or 0.
    early_stopping : int, 'auto' or None, default='auto'
        Patience in epochs without a better validation loss, then the best weights are restored
        (a PCA start's included, so a model started as PCA does not end worse than it on the
        validation images). 'auto': a tenth of max_epochs, at least 10; off without validation.
    optimizer, learning_rate, weight_decay, momentum, batch_size, max_epochs
        As for `AutoEncoder`.
    max_time, validation_fraction, grad_clip, precision, compile, lr_schedule, warm_start
        As for `AutoEncoder`.
    distributed, device, n_threads, random_state, verbose
        As for `AutoEncoder`.

    Attributes
    ----------
    module_ : AutoEncoderModule
        With a `ConvEncoder` and a `ConvDecoder`.
    input_shape_ : tuple
        (channels, height, width) of the inputs.
    output_shape_ : tuple
        (channels, height, width) of the reconstructions (the targets' shape).
    colorization_ : {'chroma', 'direct'}
        What the decoder predicts: the chroma of colour targets, or the targets as they are.
    luma_ : {'rec709', 'rec601'}
        For colorization_='chroma': the lightness standard the training gray images matched,
        the one colour is rebuilt around ('rec709': scikit-image's `rgb2gray`; 'rec601':
        Pillow's convert('L'), OpenCV's gray).
    chroma_coarseness_ : int
        Side in pixels of the blocks the chroma is predicted in (`chroma_coarseness` resolved;
        1 for models saved before it existed, and without chroma).
    init_ : {'pca', 'random'}
        Whether the model has a linear path started as PCA.
    loss_ : str
        The loss it trained with ('auto' resolved).
    dropout_ : float
        The dropout rate it trained with ('auto' resolved).
    history_, n_epochs_, n_threads_, output_activation_, n_features_in_
        As for `AutoEncoder`.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit.estimators.conv import ConvAutoEncoder
    >>> X = load_digits().data.reshape(-1, 1, 8, 8) / 16
    >>> cae = ConvAutoEncoder(latent_dim=8, channels=(8, 16), max_epochs=2, random_state=0).fit(X)
    >>> cae.transform(X[:3]).shape, cae.reconstruct(X[:3]).shape
    ((3, 8), (3, 1, 8, 8))
    """

    _parameter_constraints: dict = {
        **TRAINING_CONSTRAINTS,
        "input_shape": ["array-like", None],
        "channels": ["array-like"],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "upsampling": [StrOptions(set(UPSAMPLINGS))],
        "interpolation": [StrOptions({"auto", *INTERPOLATIONS})],
        "bottleneck": [StrOptions(set(BOTTLENECKS))],
        "skips": ["boolean"],
        "colorization": [StrOptions(set(COLORIZATIONS))],
        "chroma_coarseness": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "init": [StrOptions(set(INITS))],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "batch_norm": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "output_activation": [StrOptions({"auto", "linear", "sigmoid"})],
        "loss": [StrOptions({"auto", *LIKELIHOODS})],
        "corruption": [StrOptions(set(CORRUPTIONS)), None],
        "corruption_level": [Interval(Real, 0, None, closed="left")],
    }
    _fitted_state = {
        **BaseAutoEncoder._fitted_state,
        "input_shape_": image_shape,
        "output_shape_": image_shape,
        "colorization_": _check_colorization,
        "init_": check_init,
        "loss_": one_of(LIKELIHOODS),
        "dropout_": _check_dropout,
        "luma_": one_of(LUMA_STANDARDS),
        "chroma_coarseness_": _check_coarseness,
    }
    _optional_fitted = BaseAutoEncoder._optional_fitted | {"init_", "loss_", "dropout_", "luma_"}  # newer: 'random', loss, dropout
    # every model predicted its target's pixels before chroma existed, and took gray as rgb2gray before luma_
    # and predicted the chroma of every pixel before it was coarse
    _fitted_before = {"colorization_": "direct", "luma_": "rec709", "chroma_coarseness_": 1}
    _values_before_param = {"init": "random"}  # a folder saved before `init` existed trained from a random start

    def __init__(
        self,
        latent_dim=16,
        *,
        input_shape=None,
        channels=(32, 64),
        kernel_size=3,
        upsampling="interpolate",
        interpolation="auto",
        bottleneck="dense",
        skips=False,
        colorization="auto",
        chroma_coarseness="auto",
        init="auto",
        activation="elu",
        batch_norm=False,
        dropout="auto",
        output_activation="auto",
        loss="auto",
        corruption=None,
        corruption_level=0.2,
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        momentum=0.9,
        batch_size=128,
        max_epochs=50,
        max_time=None,
        validation_fraction=0.1,
        early_stopping="auto",
        grad_clip=None,
        precision="32",
        compile=False,
        lr_schedule=None,
        warm_start=False,
        distributed=False,
        device="auto",
        n_threads="auto",
        random_state=None,
        verbose=False,
    ):
        self.latent_dim = latent_dim
        self.input_shape = input_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.upsampling = upsampling
        self.interpolation = interpolation
        self.bottleneck = bottleneck
        self.skips = skips
        self.colorization = colorization
        self.chroma_coarseness = chroma_coarseness
        self.init = init
        self.activation = activation
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.output_activation = output_activation
        self.loss = loss
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_time = max_time
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.grad_clip = grad_clip
        self.precision = precision
        self.compile = compile
        self.lr_schedule = lr_schedule
        self.warm_start = warm_start
        self.distributed = distributed
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _validate_targets(self, y, X, reset: bool = True):
        """Target images Y (n, C_out, H, W), (n, H, W) or rows (n, C_out*H*W) with X's height
        and width, as rows (their chroma for colorization_='chroma'); None (reconstruct X) when
        y is None or labels (1-D). Without `reset` (a warm start, `partial_fit`) they must be
        targets of the fitted model's shape and colorization."""
        Y, shape = self._target_rows(y, X)
        colorization = "direct" if Y is None else self._resolve_colorization(shape[0])
        if not reset:
            self._check_same_targets(shape, colorization)
        else:
            self.output_shape_, self.colorization_ = shape, colorization
            vars(self).pop("luma_", None)
        if colorization == "chroma":
            _check_chroma_range(X=X, Y=Y)
            if reset:
                self.luma_ = matching_luma(X.reshape(-1, *self.input_shape_), Y.reshape(-1, *shape))
            Y = self._as_decoded(Y)
        return Y

    def _as_decoded(self, Y: np.ndarray) -> np.ndarray:
        """Target rows (n, C_out*H*W) as the decoder predicts them: their chroma rows (n, 2*H*W) for
        colorization_='chroma', else as they are."""
        if self.colorization_ != "chroma":
            return Y
        return to_chroma(Y.reshape(-1, *self.output_shape_), LUMA_STANDARDS[self.luma_]).reshape(Y.shape[0], -1)

    def _target_rows(self, y, X) -> tuple[np.ndarray | None, tuple[int, int, int]]:
        """Fit's y as target rows (n, C_out*H*W) and their image shape; (None, input_shape_) when
        y is None or labels."""
        if y is None or (_ndim(y) or 0) <= 1:
            if self.colorization == "chroma":
                raise ValueError("colorization='chroma' needs colour targets: fit(X_gray, Y_colour) with Y of 3 channels")
            return None, tuple(self.input_shape_)
        if not isinstance(X, np.ndarray):
            raise ValueError("image targets Y need X in memory (an array), not streamed from a file")
        Y = np.asarray(y)
        _, height, width = self.input_shape_
        if Y.ndim == 2:
            if Y.shape[1] % (height * width):
                raise ValueError(
                    f"Y has {Y.shape[1]} columns, but target images of X's size {height}x{width} need a multiple "
                    f"of {height * width} (channels * height * width)"
                )
            shape = (Y.shape[1] // (height * width), height, width)
        elif Y.ndim in (3, 4):
            shape = (1, *Y.shape[1:]) if Y.ndim == 3 else tuple(int(s) for s in Y.shape[1:])
            if Y.ndim == 4 and shape[1:] != (height, width) and shape[:2] == (height, width):
                raise ValueError(channels_last_message("Y", Y.shape))
        else:
            raise ValueError(f"Y must be target images like X ({IMAGE_LAYOUTS}), got shape {Y.shape}")
        if shape[1:] != (height, width):
            raise ValueError(f"Y has images of {shape[1]}x{shape[2]}, but X has {height}x{width}; they must match")
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples, but Y has {Y.shape[0]}")
        return check_array(Y.reshape(Y.shape[0], -1), dtype=[np.float64, np.float32], input_name="Y"), shape

    def _check_same_targets(self, shape: tuple[int, int, int], colorization: str) -> None:
        """Refuse warm-start targets other than those the fitted decoder predicts."""
        fitted = tuple(self.output_shape_)
        if shape == fitted and colorization == self.colorization_:
            return
        raise ValueError(
            f"warm_start and partial_fit continue the fitted model, which predicts images of shape {fitted} "
            f"(colorization_={self.colorization_!r}), but these targets are images of shape {shape} (colorization "
            f"{colorization!r}): pass targets like the first fit's, or fit a new model (warm_start=False)"
        )

    def _resolve_colorization(self, output_channels: int) -> str:
        """'chroma' or 'direct' for this model's input channels and `output_channels` (see `colorization`)."""
        channels = (self.input_shape_[0], output_channels)
        if self.colorization == "chroma" and channels != (1, 3):
            raise ValueError(
                f"colorization='chroma' needs gray X (1 channel) and colour Y (3 channels), got {channels[0]} and "
                f"{channels[1]} channels; use colorization='direct'"
            )
        return "chroma" if self.colorization != "direct" and channels == (1, 3) else "direct"

    @property
    def _decoded_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) the decoder outputs: the targets', or their 2 chroma channels."""
        _, height, width = self.output_shape_
        return (2, height, width) if getattr(self, "colorization_", "direct") == "chroma" else tuple(self.output_shape_)

    def _check_data_against_params(self, X) -> str:
        """Checks that need the data (the targets when there are any); returns the output activation."""
        positive_ints(self.channels, "channels")
        if len(self.channels) == 0:
            raise ValueError("channels must name at least one stage, got ()")
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd so that convolutions keep the size, got {self.kernel_size}")
        if self.interpolation != "auto" and self.upsampling != "interpolate":
            raise ValueError(f"interpolation={self.interpolation!r} is how upsampling='interpolate' resizes, but "
                             f"upsampling={self.upsampling!r} does not resize: set upsampling='interpolate', or leave "
                             "interpolation='auto'")
        chroma = getattr(self, "colorization_", "direct") == "chroma"
        self.loss_ = (CHROMA_LOSS if chroma else "mse") if self.loss == "auto" else likelihood_name(self.loss)
        self.dropout_ = (CHROMA_DROPOUT if chroma else 0.0) if self.dropout == "auto" else float(self.dropout)
        self.chroma_coarseness_ = self._resolve_coarseness(chroma)
        if chroma:
            self._check_signed_output()
        low, high = float(X.min()), float(X.max())
        in_unit_range = low >= 0 and high <= 1
        if hasattr(self, "corruption"):  # the context encoder has none
            check_unit_range(self.corruption, low, high)
            self._check_corruption_level(self.corruption)
        if self.loss_ == "bce" and not in_unit_range:
            raise ValueError(
                f"loss={self.loss!r} needs targets in [0, 1], got values in [{low:.4g}, {high:.4g}]; scale them or use loss='mse'"
            )
        if self.loss_ in COUNT_LIKELIHOODS:
            check_counts(f"loss={self.loss_!r}", low)
        if self.output_activation == "auto" and self._resolve_init("linear") == "pca":
            output_activation = "linear"  # PCA reconstructs through a linear output
        else:
            output_activation = output_activation_for(self.loss_, self.output_activation, X, self._default("output_activation"))
        self.init_ = self._resolve_init(output_activation)
        return output_activation

    def _resolve_coarseness(self, chroma: bool) -> int:
        """`chroma_coarseness` resolved: CHROMA_COARSENESS for 'auto' with chroma, 1 without; other
        values are refused without chroma."""
        value = getattr(self, "chroma_coarseness", "auto")  # the context encoder has none
        if chroma:
            return CHROMA_COARSENESS if value == "auto" else int(value)
        if value not in ("auto", 1):
            raise ValueError(
                f"chroma_coarseness={value!r} sets the blocks colorization_='chroma' predicts the colour in, but this model "
                f"predicts its targets directly (colorization_={getattr(self, 'colorization_', 'direct')!r}): leave chroma_coarseness at 'auto', "
                "or fit gray X with colour Y and colorization 'auto' or 'chroma'"
            )
        return 1

    def _check_signed_output(self) -> None:
        """Refuse, for colorization_='chroma', a loss or output activation that decodes to no negative
        value: the chroma channels B - Y and R - Y are signed."""
        fixed = LIKELIHOODS[self.loss_].fixed_output
        bounded = [f"loss={self.loss_!r} (output {fixed!r})"] if fixed is not None else []
        bounded += ["output_activation='sigmoid'"] if self.output_activation == "sigmoid" else []
        if bounded:
            raise ValueError(
                f"{' and '.join(bounded)} cannot decode negative values, but colorization_='chroma' predicts the signed "
                "colour differences B - Y and R - Y around the gray input's lightness: leave loss and output_activation "
                "at 'auto' (or use loss 'mse', 'l1', 'gaussian', 'student_t'), or pass colorization='direct' to predict "
                "Y's channels themselves"
            )

    def _resolve_init(self, output_activation: str) -> str:
        if self.init == "auto" and self.input_shape_[0] == 1:
            return "random"  # grey images: the random start trained to lower error (see `init`)
        return super()._resolve_init(output_activation)

    def _pca_start_problem(self, output_activation: str) -> str | None:
        """Why this model cannot start as PCA of its data, its loss aside (`_loss_problem`), or None."""
        if output_activation != "linear":
            return f"the output is {output_activation!r} (output_activation={self.output_activation!r}), not linear"
        if self.bottleneck != "dense":
            return f"bottleneck={self.bottleneck!r} is not a dense code"
        if self.skips:
            return "skips=True hands the decoder more than the code"
        if tuple(self.output_shape_) != tuple(self.input_shape_):
            return "the targets are not the input"
        if self.latent_dim > math.prod(self.input_shape_):
            return f"latent_dim={self.latent_dim} exceeds the {math.prod(self.input_shape_)} features"
        return None

    def _start_as_pca(self, module, rows, val_rows=None, chosen=None) -> dict:
        """Start as the PCA of `rows`, with the image symmetry that reconstructs `val_rows` best
        (`choose_symmetry`), or the `chosen` one."""
        symmetry, pca = None if chosen is None else chosen["pca_symmetry"], None
        if chosen is None and val_rows is not None:
            symmetry, pca = choose_symmetry(rows, val_rows, self.latent_dim, self.input_shape_)
        start_conv_as_pca(module.encoder, module.decoder, rows, symmetry, pca)
        return {"pca_symmetry": symmetry}

    # ---- building the module -------------------------------------------------------------

    def _corruption(self, input_shape: tuple[int, int, int]) -> Corruption | None:
        if self.corruption == "block":
            return make_corruption("block", self.corruption_level, shape=input_shape)
        return make_corruption(self.corruption, self.corruption_level)

    def _uncorrupted_weight(self) -> float:
        return 1.0

    def _build_module(self, n_features: int, output_activation: str) -> AutoEncoderModule:
        input_shape, output_shape = self.input_shape_, self._decoded_shape
        if math.prod(input_shape) != n_features:
            raise ValueError(f"input_shape_ {input_shape} does not hold n_features_in_={n_features}; the config does not match")
        if tuple(input_shape[1:]) != tuple(output_shape[1:]):
            raise ValueError(f"input_shape_ {input_shape} and output_shape_ {output_shape} differ in height or width")
        channels = positive_ints(self.channels, "channels")
        unpool = self.upsampling == "unpool"
        indices = Handoff() if unpool else None
        skips = Handoff() if self.skips else None
        linear = getattr(self, "init_", "random") == "pca"
        parts = dict(
            channels=channels,
            kernel_size=self.kernel_size,
            activation=self.activation,
            batch_norm=self.batch_norm,
            dropout=getattr(self, "dropout_", self.dropout),
            bottleneck=self.bottleneck,
        )
        encoder = ConvEncoder(input_shape, self.latent_dim, pool=unpool, indices=indices, skips=skips, linear=linear, **parts)
        decoder = ConvDecoder(
            self.latent_dim, output_shape, upsampling=self.upsampling, interpolation=self._interpolation(), indices=indices,
            skips=skips, skip_channels=encoder.skip_channels, linear=linear, coarseness=getattr(self, "chroma_coarseness_", 1),
            **parts,
        )  # fmt: skip
        return AutoEncoderModule(
            encoder,
            decoder,
            make_likelihood(self._loss(), math.prod(output_shape), output_activation),
            self._corruption(input_shape),
            uncorrupted_weight=self._uncorrupted_weight(),
        )

    def _fit_settings(self) -> dict:
        return {**super()._fit_settings(), "loss": self.loss_, "dropout": self.dropout_}

    def _interpolation(self) -> str:
        if self.interpolation != "auto":
            return self.interpolation
        return "bilinear" if getattr(self, "colorization_", "direct") == "chroma" else "nearest"

    def _forget_handoffs(self) -> None:
        """Drop what the encoder's last forward left for the decoder (pooling indices, skips)."""
        for handoff in (self.module_.encoder.indices, self.module_.encoder.skips):
            if handoff is not None:
                handoff.clear()

    def _after_fit(self, module, X_train, Y_train, seed) -> None:
        self._forget_handoffs()

    # ---- inference -----------------------------------------------------------------------

    @property
    def code_dim_(self) -> int:
        """Width of the flattened codes: latent_dim, or latent_dim * h * w for bottleneck='conv'."""
        check_is_fitted(self, "module_")
        return int(self.module_.encoder.out_features)

    def transform(self, X):
        """Codes of X: (n_samples, latent_dim), or (n_samples, latent_dim * h * w) flattened
        for bottleneck='conv'.

        Parameters
        ----------
        X : array-like
            Images (n_samples, channels, height, width) or (n_samples, height, width), or flat
            rows (n_samples, channels * height * width), as `fit` takes them.

        Returns
        -------
        codes : ndarray of shape (n_samples, ``code_dim_``)
            Float64 for float64 input, else float32.
        """
        codes = super().transform(X)
        self._forget_handoffs()
        return codes

    def inverse_transform(self, X):
        """Decode codes (n_samples, n_codes) to rows (n_samples, C_out*H*W), not images: a Pipeline
        hands them to the step before and the latent tools (which take PCA too) read rows; images
        are `.reshape(-1, *output_shape_)`. With upsampling='unpool' each value goes to the top-left
        of its pooling window, and with skips the decoder gets none (the encoder's indices and
        feature maps belong to a forward pass, not to a code). Not for colorization_='chroma': a
        code holds the colour but not the lightness, which `reconstruct(X)` takes from X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_codes)
            Codes, as `transform` returns them.

        Returns
        -------
        ndarray of shape (n_samples, C_out*H*W)
        """
        check_is_fitted(self)
        if self.colorization_ == "chroma":
            raise ValueError(
                "inverse_transform decodes codes alone, but this colorization model (colorization_='chroma') keeps the "
                "lightness of its input, which a code does not hold: colorize with reconstruct(X_gray) (on the command "
                "line, 'aekit reconstruct MODEL GRAY_IMAGES OUTPUT'); to generate from codes, or to evaluate or map them, "
                "train with colorization='direct'"
            )
        self._forget_handoffs()
        return super().inverse_transform(X)

    def reconstruct(self, X):
        """Reconstructions (or predicted targets) of X in X's layout: (n, C_out, H, W) for
        images, (n, H, W) for 3-D X with one output channel, rows (n, C_out*H*W) for rows. For
        colorization_='chroma', colour around X's lightness (its `rgb2gray` luma is X).

        Parameters
        ----------
        X : array-like of shape (n, C, H, W), (n, H, W) or (n, C*H*W)
            Images or flat rows, as for `fit`.

        Returns
        -------
        ndarray
            In X's layout, with the output's channels.
        """
        check_is_fitted(self)
        inputs = self._validate_X(X, reset=False)
        rows = self._batched("reconstruct", inputs)
        if self.colorization_ == "chroma":
            if not isinstance(inputs, np.ndarray):
                raise ValueError("colorization needs X in memory (an array), not streamed from a file")
            _check_chroma_range(X=inputs)
            images = colour_from_chroma(inputs.reshape(-1, *self.input_shape_), rows.reshape(-1, *self._decoded_shape),
                                        LUMA_STANDARDS[self.luma_])
            rows = images.reshape(len(images), -1)
        return self._in_layout(rows, _ndim(X), self.output_shape_)

    def score_samples(self, X):
        """Negative per-image reconstruction loss: (n_samples,). Not defined for image-to-image
        models (targets of another shape): compare `reconstruct(X)` with the targets.

        Parameters
        ----------
        X : array-like
            Images (n_samples, channels, height, width) or (n_samples, height, width), or flat
            rows (n_samples, channels * height * width), as `fit` takes them.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Higher is better; outliers score low.
        """
        check_is_fitted(self)
        if tuple(self.output_shape_) != tuple(self.input_shape_):
            raise ValueError(
                f"score_samples compares reconstructions with their inputs, but this model maps images of shape "
                f"{self.input_shape_} to {self.output_shape_}; compare reconstruct(X) with the targets instead"
            )
        return super().score_samples(X)

    def score(self, X, y=None):
        """Mean negative per-image loss, so model selection (GridSearchCV, cross_val_score) prefers lower
        error: against target images y when given (a model fitted on pairs, e.g. noisy to clean or gray to
        colour, is scored on the targets it learned to predict), else against X as `score_samples`.

        Parameters
        ----------
        X : array-like
            Images (n_samples, channels, height, width) or (n_samples, height, width), or flat
            rows (n_samples, channels * height * width), as `fit` takes them.
        y : array-like or None, default=None
            Target images of the shape the model predicts (``output_shape_``), in any layout `fit`
            takes them; None or labels (1-D) score against X.

        Returns
        -------
        score : float
            The mean over the images of the negative training loss per value.
        """
        check_is_fitted(self)
        if y is None or (_ndim(y) or 0) <= 1:
            return super().score(X)
        inputs = self._validate_X(X, reset=False)
        Y, shape = self._target_rows(y, inputs)
        if shape != tuple(self.output_shape_):
            raise ValueError(
                f"y holds images of shape {shape}, but this model predicts images of shape {tuple(self.output_shape_)}: "
                "score it on targets like those it was fitted on"
            )
        if self.colorization_ == "chroma":
            _check_chroma_range(X=inputs, Y=Y)
        pairs = np.hstack([inputs, self._as_decoded(Y).astype(inputs.dtype, copy=False)])  # (n, inputs + decoded)
        width = inputs.shape[1]
        losses = self._batched(lambda module: lambda rows: module.sample_losses(rows[:, :width], rows[:, width:]), pairs)
        self._forget_handoffs()
        return float(-np.mean(losses))


def _refuse_image_targets(y) -> None:
    """A context encoder fills in its own input: refuse target images y."""
    if y is not None and (_ndim(y) or 0) > 1:
        raise ValueError(f"ContextEncoder reconstructs its input: y must be None or labels, got shape {np.shape(y)}")


class ContextEncoder(ConvAutoEncoder):
    """Context encoder (Pathak et al. 2016) for inpainting: a `ConvAutoEncoder` trained on
    images with a block zeroed, its loss on the block (`context_weight` on the rest).

    `inpaint(X, mask)` fills the pixels where mask is True and keeps every other pixel.

    Parameters
    ----------
    mask : {'center', 'random'}, default='center'
        Where the training block goes: the centre of every image, or anywhere (uniformly).
    mask_size : int or None, default=None
        Side of the square block in pixels; None is half the smaller image side.
    context_weight : float, default=0.0
        Loss weight of the pixels outside the block (the block's weight is 1).
    latent_dim, input_shape, channels, kernel_size, upsampling, interpolation, bottleneck, skips
        As for `ConvAutoEncoder`.
    activation, batch_norm, dropout, output_activation, loss, optimizer, learning_rate
        As for `ConvAutoEncoder`.
    weight_decay, momentum, batch_size, max_epochs, max_time, validation_fraction
        As for `ConvAutoEncoder`.
    early_stopping, grad_clip, precision, compile, lr_schedule, warm_start, distributed, device, n_threads, random_state, verbose
        As for `ConvAutoEncoder`. The validation loss (`history_['val_loss']`) is the error on
        whole unmasked images, so it does not track inpainting: leave early_stopping off.

    Attributes
    ----------
    module_, input_shape_, output_shape_, history_, n_epochs_, n_threads_, output_activation_, n_features_in_
        As for `ConvAutoEncoder`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from aekit.estimators.conv import ContextEncoder
    >>> X = load_digits().data.reshape(-1, 8, 8) / 16
    >>> ce = ContextEncoder(mask_size=4, channels=(8, 16), max_epochs=2, random_state=0).fit(X)
    >>> mask = np.zeros((8, 8), dtype=bool); mask[2:6, 2:6] = True
    >>> filled = ce.inpaint(X[:3], mask)
    >>> bool((filled[:, ~mask] == X[:3][:, ~mask]).all())
    True
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in ConvAutoEncoder._parameter_constraints.items() if not k.startswith("corruption") and k not in ("colorization", "chroma_coarseness", "init")},
        "mask": [StrOptions(set(BLOCK_POSITIONS))],
        "mask_size": [Interval(Integral, 1, None, closed="left"), None],
        "context_weight": [Interval(Real, 0, None, closed="left")],
    }
    _values_before_param: dict = {}  # no `init`: a context encoder always starts at random

    def __init__(
        self,
        latent_dim=16,
        *,
        mask="center",
        mask_size=None,
        context_weight=0.0,
        input_shape=None,
        channels=(32, 64),
        kernel_size=3,
        upsampling="interpolate",
        interpolation="auto",
        bottleneck="dense",
        skips=False,
        activation="elu",
        batch_norm=False,
        dropout="auto",
        output_activation="auto",
        loss="auto",
        optimizer="adam",
        learning_rate=1e-3,
        weight_decay=0.0,
        momentum=0.9,
        batch_size=128,
        max_epochs=50,
        max_time=None,
        validation_fraction=0.1,
        early_stopping=None,
        grad_clip=None,
        precision="32",
        compile=False,
        lr_schedule=None,
        warm_start=False,
        distributed=False,
        device="auto",
        n_threads="auto",
        random_state=None,
        verbose=False,
    ):
        self.latent_dim = latent_dim
        self.mask = mask
        self.mask_size = mask_size
        self.context_weight = context_weight
        self.input_shape = input_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.upsampling = upsampling
        self.interpolation = interpolation
        self.bottleneck = bottleneck
        self.skips = skips
        self.activation = activation
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.output_activation = output_activation
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.max_time = max_time
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.grad_clip = grad_clip
        self.precision = precision
        self.compile = compile
        self.lr_schedule = lr_schedule
        self.warm_start = warm_start
        self.distributed = distributed
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _validate_targets(self, y, X, reset: bool = True):
        self.output_shape_, self.colorization_ = self.input_shape_, "direct"
        _refuse_image_targets(y)
        return None

    def score(self, X, y=None):
        _refuse_image_targets(y)
        return super().score(X, y)

    def _resolve_init(self, output_activation: str) -> str:
        return "random"

    def _block_side(self, input_shape: tuple[int, int, int]) -> int:
        return self.mask_size if self.mask_size is not None else max(1, min(input_shape[1:]) // 2)

    def _check_data_against_params(self, X) -> str:
        _, height, width = self.input_shape_
        if self._block_side(self.input_shape_) > min(height, width):
            raise ValueError(f"mask_size={self.mask_size} does not fit in images of {height}x{width}")
        return super()._check_data_against_params(X)

    def _corruption(self, input_shape: tuple[int, int, int]) -> Corruption:
        side = self._block_side(input_shape)
        return BlockMasking(0.0, shape=input_shape, position=self.mask, size=(side, side))

    def _uncorrupted_weight(self) -> float:
        return float(self.context_weight)

    def inpaint(self, X, mask):
        """X with the pixels where `mask` is True replaced by the model's fill; every other
        pixel is returned unchanged. X in any layout `fit` accepts; `mask` (bool) of X's shape or
        broadcastable to it (e.g. (H, W) for all images of a 3-D X, (n, 1, H, W) for all
        channels). Masked pixels are zeroed before encoding, as in training.

        Parameters
        ----------
        X : array-like
            Images (n_samples, channels, height, width) or (n_samples, height, width), or flat
            rows, in memory (not a file path).
        mask : array-like of bool
            True (or 1) where a pixel is to be filled, False (or 0) elsewhere; other values are
            refused; X's shape or broadcastable to it (for flat rows,
            to the rows or to them as images, e.g. one image's mask (height, width)).

        Returns
        -------
        X_filled : ndarray
            X in its own layout with the masked pixels filled.
        """
        check_is_fitted(self)
        ndim = _ndim(X)
        rows = self._validate_X(X, reset=False)
        if not isinstance(rows, np.ndarray):
            raise ValueError("inpaint needs X in memory (an array), not streamed from a file")
        layout = tuple(np.shape(X) if ndim in (3, 4) else rows.shape)
        mask = boolean_mask(mask)
        per_image = len(layout) == 4 and mask.shape == (layout[0], *layout[2:])  # (n, height, width)
        if per_image and layout[0] == layout[1] > 1:
            raise ValueError(
                f"mask of shape {mask.shape} is ambiguous for X of shape {layout}, as many images as channels: it would "
                "broadcast as one mask per channel of every image. Pass mask[:, None] for one mask per image (every "
                "channel), or mask[None] for one mask per channel of every image"
            )
        layouts = [layout] if ndim in (3, 4) else [layout, (len(rows), *self.input_shape_)]  # rows: a row's mask or an image's
        for shape in layouts:
            try:
                holes = np.broadcast_to(mask, shape).reshape(rows.shape)
                break
            except ValueError:
                continue
        else:
            hint = "; a mask (n, height, width) covers every channel as mask[:, None]" if per_image else ""
            raise ValueError(f"mask of shape {mask.shape} does not broadcast to X's shape {layout}"
                             f"{' or its images ' + str(layouts[1]) if len(layouts) > 1 else ''}{hint}") from None
        filled = self._batched("reconstruct", np.where(holes, 0, rows).astype(rows.dtype))
        return self._in_layout(np.where(holes, filled, rows), ndim, self.input_shape_)
