import torch

from model import BottleneckClassifier, FeatureClassifier, ScaledHead, ZooClassifier


def main():
    classifier = FeatureClassifier(num_classes=5)
    print(classifier(torch.randn(2, 3, 96, 96)).shape)
    zoo = ZooClassifier()
    print(zoo(torch.randn(2, 3, 64, 64)).shape)
    bottleneck = BottleneckClassifier()
    print(bottleneck(torch.randn(1, 3, 64, 64)).shape)
    scaled = ScaledHead()
    print(scaled(torch.randn(2, 3, 64, 64)).shape)


if __name__ == "__main__":
    main()
