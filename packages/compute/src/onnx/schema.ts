import protobuf from 'protobufjs';

/**
 * The subset of the official ONNX schema (onnx/onnx.proto, github.com/onnx/onnx, IR version 8 … 10) that a GPT-2
 * graph needs. Message and field names and numbers are copied from onnx.proto; messages and fields we never write
 * (FunctionProto, SparseTensorProto, TrainingInfoProto, sequence/map types, external data …) are left out, which
 * protobuf allows: a reader skips unknown fields, and a writer that omits optional ones produces a valid file.
 * ONNX Runtime loading the exported file is the test that these numbers are right.
 */
const ONNX_PROTO = `
syntax = "proto3";
package onnx;

// onnx.proto: message AttributeProto
message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
  }
  string name = 1;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  string doc_string = 13;
  AttributeType type = 20;
}

// onnx.proto: message ValueInfoProto
message ValueInfoProto {
  string name = 1;
  TypeProto type = 2;
  string doc_string = 3;
}

// onnx.proto: message NodeProto
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  repeated AttributeProto attribute = 5;
  string doc_string = 6;
  string domain = 7;
}

// onnx.proto: message StringStringEntryProto
message StringStringEntryProto {
  string key = 1;
  string value = 2;
}

// onnx.proto: message OperatorSetIdProto
message OperatorSetIdProto {
  string domain = 1;
  int64 version = 2;
}

// onnx.proto: message ModelProto
message ModelProto {
  int64 ir_version = 1;
  string producer_name = 2;
  string producer_version = 3;
  string domain = 4;
  int64 model_version = 5;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}

// onnx.proto: message GraphProto
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

// onnx.proto: message TensorProto (float32 data goes in raw_data, little-endian, as the spec requires)
message TensorProto {
  enum DataType {
    UNDEFINED = 0; FLOAT = 1; UINT8 = 2; INT8 = 3; UINT16 = 4; INT16 = 5; INT32 = 6; INT64 = 7;
    STRING = 8; BOOL = 9; FLOAT16 = 10; DOUBLE = 11;
  }
  repeated int64 dims = 1;
  int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  string name = 8;
  bytes raw_data = 9;
  string doc_string = 12;
}

// onnx.proto: message TensorShapeProto
message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    string denotation = 3;
  }
  repeated Dimension dim = 1;
}

// onnx.proto: message TypeProto (only the tensor case)
message TypeProto {
  message Tensor {
    int32 elem_type = 1;
    TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  string denotation = 6;
}
`;

/** TensorProto.DataType values used by the exporter (onnx.proto). */
export const ONNX_DTYPE = { FLOAT: 1, INT64: 7, BOOL: 9 } as const;

/** AttributeProto.AttributeType values (onnx.proto). */
export const ONNX_ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

let root: protobuf.Root | null = null;

/** The parsed schema, built once on first use so importing the package costs nothing. */
function onnxRoot(): protobuf.Root {
  root ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  return root;
}

export function modelProtoType(): protobuf.Type {
  return onnxRoot().lookupType('onnx.ModelProto');
}

/**
 * The metadata_props of an ONNX file as a map, read by walking ModelProto's top-level fields and skipping the rest:
 * the graph, which holds every weight (~500 MB for GPT-2 small), is stepped over, never decoded.
 */
export function readModelMetadata(bytes: Uint8Array): Map<string, string> {
  const entryType = onnxRoot().lookupType('onnx.StringStringEntryProto');
  const reader = protobuf.Reader.create(bytes);
  const out = new Map<string, string>();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 14 && (tag & 7) === 2) {
      const entry = entryType.decode(reader, reader.uint32()) as unknown as { key: string; value: string };
      out.set(entry.key, entry.value);
    } else {
      reader.skipType(tag & 7);
    }
  }
  return out;
}
