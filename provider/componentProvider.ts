/**
 * The components as one Pulumi component provider: what the plugin serves and the tests check.
 */
import * as fs from "fs";
import * as path from "path";

import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";

import {
    BookinfoApp,
    EksCluster,
    GatewayApiCrds,
    GatewayApiRouting,
    IstioMesh,
    MeshObservability,
    ReviewsRouting,
} from "../components";
import { packageRoot } from "../lib/manifests";

/** The package's name: the first part of every type token, e.g. `istio-eks:index:IstioMesh`. */
export const PACKAGE_NAME = "istio-eks";

/** The components the package offers, each under the type token `istio-eks:index:<class name>`. */
export const COMPONENTS = [
    EksCluster,
    IstioMesh,
    BookinfoApp,
    ReviewsRouting,
    GatewayApiCrds,
    GatewayApiRouting,
    MeshObservability,
];

/**
 * A provider of the components. Its schema is inferred from the TypeScript program that starts
 * at this folder's `package.json` main (see `tsconfig.json` here); its version is the package's.
 */
export function componentProvider(): ComponentProvider {
    const { version } = JSON.parse(
        fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8"),
    ) as { version: string };
    return new ComponentProvider({
        name: PACKAGE_NAME,
        version,
        dirname: __dirname,
        components: COMPONENTS,
    });
}
