# The article's snippet as in ../shared/peers/fastapi/app.py, made runnable (import, app).
from fastapi import BackgroundTasks, FastAPI

app = FastAPI()


def build_embeddings(dataset_id: int):
    # heavy computation stands here in a real system
    pass


@app.post("/datasets/{dataset_id}/process")
async def process_dataset(dataset_id: int, background_tasks: BackgroundTasks):
    background_tasks.add_task(build_embeddings, dataset_id)
    return {"status": "processing started"}
