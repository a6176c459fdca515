// Original file: proto/grpc/testing/empty.proto


export interface Empty {
}

export interface Empty__Output {
}
