import pytest
from fastapi.testclient import TestClient

from api.main import create_app


@pytest.fixture(scope="session")
def client(demo_db):
    with TestClient(create_app(demo_db)) as c:
        yield c
