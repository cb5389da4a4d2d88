"""Losskit losses inside other libraries' training loops.

``losskit.xgboost`` and ``losskit.lightgbm`` (thin modules over :mod:`.xgboost` and
:mod:`.lightgbm` here) turn any loss into that library's custom objective, evaluation metric and
intercept. They need only NumPy: the libraries call the objects they return, so nothing here
imports XGBoost or LightGBM. See docs/gbdt.md.
"""
