"""LSTM temperature forecasting, in the shape of the keras.io example "Timeseries forecasting for weather
prediction" (examples/timeseries/timeseries_weather_forecasting.py).

Run unmodified with ``unidl run examples/keras_timeseries_weather_forecasting.py`` (plain ``import keras``).
Offline note: the original downloads the Jena climate CSV (and reads it with pandas); this script makes a
synthetic stand-in instead — seven hourly-sampled weather-like features with daily cycles and noise, the
temperature among them. The windows are shorter (20 hourly steps, 12 h ahead instead of 120 h / 12 h), the
series is 4,000 rows and training is 2 epochs, so it runs in a few seconds on a CPU. The rest (normalisation
with training statistics, ``timeseries_dataset_from_array``, the LSTM, EarlyStopping and ModelCheckpoint)
follows the original.
"""
import numpy as np

import keras

# -- synthetic stand-in for the Jena climate table (10-minute rows) ----------------------------------
titles = ["Pressure", "Temperature", "Saturation vapor pressure", "Vapor pressure deficit",
          "Specific humidity", "Airtight", "Wind speed"]
rng = np.random.default_rng(7)
n_rows = 4000
t = np.arange(n_rows) / 144.0  # days (144 rows of 10 minutes)
temperature = 10 + 8 * np.sin(2 * np.pi * t) + 3 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.5, n_rows)
pressure = 990 - 0.8 * temperature + rng.normal(0, 1.0, n_rows)
vp_max = 6.1 * np.exp(17.6 * temperature / (temperature + 243)) / 10
vp_def = vp_max * (0.3 + 0.2 * np.sin(2 * np.pi * t + 1.0)) + rng.normal(0, 0.1, n_rows)
humidity = 0.6 * (vp_max - vp_def) + rng.normal(0, 0.1, n_rows)
airtight = 1300 - 4.5 * temperature + rng.normal(0, 2.0, n_rows)
wind = np.abs(2 + np.sin(2 * np.pi * t / 3) + rng.normal(0, 0.7, n_rows))
raw = np.stack([pressure, temperature, vp_max, vp_def, humidity, airtight, wind], axis=1).astype("float32")

split_fraction = 0.715
train_split = int(split_fraction * int(raw.shape[0]))
step = 6

past = 120
future = 12
learning_rate = 0.005
batch_size = 64
epochs = 2


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


print("The selected parameters are:", ", ".join(titles))
features = normalize(raw, train_split)

train_data = features[0:train_split]
val_data = features[train_split:]

start = past + future
end = start + train_split

x_train = train_data[:, :7]
y_train = features[start:end][:, [1]]

sequence_length = int(past / step)

dataset_train = keras.preprocessing.timeseries_dataset_from_array(
    x_train,
    y_train,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

x_end = len(val_data) - past - future

label_start = train_split + past + future

x_val = val_data[:x_end][:, :7]
y_val = features[label_start:][:, [1]]

dataset_val = keras.preprocessing.timeseries_dataset_from_array(
    x_val,
    y_val,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

for batch in dataset_train.take(1):
    inputs, targets = batch

print("Input shape:", inputs.numpy().shape)
print("Target shape:", targets.numpy().shape)

inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
model.summary()

path_checkpoint = "model_checkpoint.weights.h5"
es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)

modelckpt_callback = keras.callbacks.ModelCheckpoint(
    monitor="val_loss",
    filepath=path_checkpoint,
    verbose=1,
    save_weights_only=True,
    save_best_only=True,
)

history = model.fit(
    dataset_train,
    epochs=epochs,
    validation_data=dataset_val,
    callbacks=[es_callback, modelckpt_callback],
)

for x, y in dataset_val.take(2):
    print("History (last 3):", x[0][-3:, 1].numpy(), "true future:", y[0].numpy(),
          "prediction:", model.predict(x, verbose=0)[0])

print("Validation MSE:", model.evaluate(dataset_val, verbose=0))
