# The article's snippet as in ../shared/peers/fastapi/app.py, made runnable (import, app).
from fastapi import Depends, FastAPI

app = FastAPI()


class ModelService:
    def __init__(self):
        self.model = lambda prompt: prompt[::-1]

    def generate(self, prompt):
        return self.model(prompt)


model_service = ModelService()


def get_model():
    return model_service


@app.post("/ai/generate")
async def ai_generate(prompt: str, model: ModelService = Depends(get_model)):
    return {"response": model.generate(prompt)}
