"""
Codes as features, and pretraining for few labels
=================================================

The lecture's use of a trained autoencoder: throw the decoder away and feed the code to classic
machine learning (SVM, KNN, random forest), or, as in transfer learning, fine-tune the encoder
with a classification layer on a smaller labelled set. Here only 200 MNIST images have labels
and many more have none. An :class:`aekit.AutoEncoder` trained on all images gives 32-number
codes, compared with 32 PCA components and the raw pixels as features for three scikit-learn
classifiers; then an :class:`aekit.AutoEncoderClassifier` pretrained on the unlabelled images
and fine-tuned on the 200 labels is compared with the same network trained on the labels alone
and with a logistic regression on the pixels.

Data: MNIST through :func:`aekit.data.datasets.load_mnist` (``$AEKIT_DATA``), or scikit-learn's
8 x 8 digits through :func:`aekit.data.datasets.load_digits` where MNIST is not available.
"""

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

from aekit import AutoEncoder, AutoEncoderClassifier
from aekit.data.datasets import load_digits, load_mnist

QUICK = os.environ.get("AEKIT_QUICK", "") not in ("", "0")
N_LABELS = 200

try:
    data, side = load_mnist(), 28
except FileNotFoundError:
    data, side = load_digits(), 8
rng = np.random.default_rng(0)
rows = rng.permutation(len(data.X))[: 2500 if QUICK else 15000]
X, y = data.X[rows], data.y[rows]
n_test = min(1000, len(X) // 4)
X_test, y_test = X[:n_test], y[:n_test]
X_labelled, y_labelled = X[n_test : n_test + N_LABELS], y[n_test : n_test + N_LABELS]
X_unlabelled = X[n_test + N_LABELS :]
print(f"{len(X_labelled)} labelled, {len(X_unlabelled)} unlabelled and {len(X_test)} test images "
      f"of {side} x {side} pixels")

# %%
# Three kinds of features
# -----------------------
# The autoencoder and PCA are fitted on every training image, labelled or not (neither uses
# the labels); the classifiers only see the 200 labelled ones.
X_all = np.vstack([X_labelled, X_unlabelled])
ae = AutoEncoder(latent_dim=32, hidden_dims=(256, 128), batch_size=64, learning_rate=2e-3,
                 max_epochs=5 if QUICK else 30, random_state=0).fit(X_all)
pca = PCA(n_components=32).fit(X_all)
features = {
    "AE codes (32)": (ae.transform(X_labelled), ae.transform(X_test)),
    "PCA (32)": (pca.transform(X_labelled), pca.transform(X_test)),
    f"pixels ({X.shape[1]})": (X_labelled, X_test),
}
classifiers = {
    "SVM": lambda: SVC(),
    "KNN": lambda: KNeighborsClassifier(n_neighbors=5),
    "random forest": lambda: RandomForestClassifier(n_estimators=200, random_state=0),
}
accuracy = {}
for clf_name, make in classifiers.items():
    for feat_name, (F_train, F_test) in features.items():
        accuracy[clf_name, feat_name] = make().fit(F_train, y_labelled).score(F_test, y_test)
    print(f"{clf_name:>13} test accuracy: " + ", ".join(f"{f} {accuracy[clf_name, f]:.3f}" for f in features))

# %%
# Pretraining, then fine-tuning on the labels
# -------------------------------------------
# ``AutoEncoderClassifier`` trains an autoencoder on the labelled and unlabelled images, keeps
# its encoder, starts a softmax layer on the code as the logistic regression of the labels on
# the codes, and fine-tunes both on the labelled images. With ``pretrain_epochs=0`` the same
# network starts from random weights and learns from the 200 labels only.
settings = dict(latent_dim=32, hidden_dims=(256, 128), batch_size=64, learning_rate=2e-3,
                max_epochs=30 if QUICK else 100, random_state=0)
pretrained = AutoEncoderClassifier(pretrain_epochs=5 if QUICK else 30, **settings)
pretrained.fit(X_labelled, y_labelled, X_unlabeled=X_unlabelled)
labels_only = AutoEncoderClassifier(pretrain_epochs=0, **settings).fit(X_labelled, y_labelled)
logistic = LogisticRegression(max_iter=1000).fit(X_labelled, y_labelled)
semi = {
    "pretrained + fine-tuned": pretrained.score(X_test, y_test),
    "same network, labels only": labels_only.score(X_test, y_test),
    "logistic regression, pixels": logistic.score(X_test, y_test),
}
for name, score in semi.items():
    print(f"{name:>27}: test accuracy {score:.3f} from {N_LABELS} labels")

# %%
# All accuracies in one figure
# ----------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1.4, 1]})
width = 0.8 / len(features)
for i, feat_name in enumerate(features):
    left.bar(np.arange(len(classifiers)) + width * (i - 1), [accuracy[c, feat_name] for c in classifiers],
             width=width, label=feat_name)
left.set_xticks(np.arange(len(classifiers)), list(classifiers))
left.set_ylabel(f"test accuracy ({N_LABELS} labels)")
left.set_ylim(0, 1)
left.legend(loc="lower right", fontsize=8)
right.barh(list(semi), list(semi.values()), color=["tab:green", "tab:gray", "tab:gray"])
right.set_xlim(0, 1)
right.invert_yaxis()
right.set_xlabel("test accuracy")
fig.tight_layout()
plt.show()
