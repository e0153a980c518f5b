from flask import Blueprint

bp = Blueprint("banks_api", __name__)
