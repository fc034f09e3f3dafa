// Load a Keras model converted for TensorFlow.js and predict, as a web or Node app would:
// @tensorflow/tfjs with its plain JavaScript CPU backend, files read from disk.
//
//     node predict.mjs MODEL_DIR/model.json INPUTS.json OUTPUTS.json
//
// INPUTS.json: {"shape": [...], "data": [...]}; OUTPUTS.json gets the prediction the same way.
// A model TensorFlow.js cannot read fails with TensorFlow.js's own error on stderr.
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";

const [modelJson, inputsJson, outputsJson] = process.argv.slice(2);
const artifacts = JSON.parse(fs.readFileSync(modelJson, "utf8"));
const folder = path.dirname(modelJson);
const groups = artifacts.weightsManifest ?? [];
const weights = Buffer.concat(
  groups.flatMap((group) => group.paths.map((file) => fs.readFileSync(path.join(folder, file)))),
);
const handler = {
  load: async () => ({
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightSpecs: groups.flatMap((group) => group.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
  }),
};

await tf.setBackend("cpu");
const model = await tf.loadLayersModel(handler);
const given = JSON.parse(fs.readFileSync(inputsJson, "utf8"));
const prediction = model.predict(tf.tensor(given.data, given.shape, "float32"));
fs.writeFileSync(
  outputsJson,
  JSON.stringify({ shape: prediction.shape, data: Array.from(prediction.dataSync()) }),
);
