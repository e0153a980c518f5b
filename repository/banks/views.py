from flask import Blueprint

bp = Blueprint("banks", __name__)
