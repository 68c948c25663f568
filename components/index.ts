export * from "./eksCluster";
export * from "./istioMesh";
export * from "./bookinfoApp";
export * from "./reviewsRouting";
