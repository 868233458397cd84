package io.tokenflow.train;

import java.util.ArrayList;
import java.util.List;

/** Word lists of the generated corpus, and filler text. Filler has no digits, so numbers in a prompt are needles. */
final class Words {
    private Words() {}

    static final String[] GIRLS = {"Lily", "Mia", "Anna", "Sara", "Emma", "Lucy", "Zoe", "Ella", "Rosa", "Nina",
        "Amy", "Kate", "Ruby", "Ivy", "Maya", "Lena", "Grace", "Hana", "Clara", "Sofia"};
    static final String[] BOYS = {"Tom", "Ben", "Max", "Sam", "Leo", "Jack", "Finn", "Tim", "Noah", "Omar",
        "Luke", "Adam", "Dan", "Hugo", "Ravi", "Eli", "Jake", "Kai", "Paul", "Theo"};
    static final String[] SURNAMES = {"Green", "Brown", "Stone", "Hill", "Wood", "Lake", "Fox", "Bell", "Reed",
        "Moss", "Gray", "Snow", "Field", "Park", "Rivers", "Frost"};
    /** [kind, pronoun]: animals are "it"-free on purpose, named characters read better with he/she. */
    static final String[] GIRL_KINDS = {"little girl", "kind girl", "curious girl", "brave girl", "happy girl"};
    static final String[] BOY_KINDS = {"little boy", "kind boy", "curious boy", "brave boy", "happy boy"};
    static final String[] ANIMALS = {"dog", "cat", "bunny", "bird", "frog", "duck", "bear", "mouse", "fox", "owl"};
    static final String[] ANIMAL_NAMES = {"Spot", "Fluffy", "Pip", "Bubbles", "Coco", "Buddy", "Dot", "Sunny",
        "Biscuit", "Pebble"};
    static final String[] ADJECTIVES = {"small", "big", "happy", "sleepy", "funny", "friendly", "shy", "clever",
        "gentle", "brave"};
    static final String[] COLORS = {"red", "blue", "green", "yellow", "pink", "purple", "orange", "white",
        "black", "brown", "golden", "silver"};
    static final String[] OBJECTS = {"ball", "kite", "box", "hat", "book", "key", "boat", "cup", "drum", "shell",
        "flower", "stone", "toy car", "balloon", "blanket", "map", "bell", "spoon", "sock", "star"};
    static final String[] PLACES = {"park", "forest", "garden", "beach", "farm", "kitchen", "school", "river",
        "meadow", "library", "zoo", "hill", "town", "yard"};
    static final String[] SPOTS = {"under a big tree", "behind a rock", "next to the door", "in the tall grass",
        "on a bench", "near the pond", "under the bed", "in an old box", "by the fence", "on the path"};
    static final String[] WEATHER = {"The sun was warm and bright.", "The sky was blue and the birds were singing.",
        "It was a windy day.", "It was a cool and quiet day.", "Little clouds moved across the sky.",
        "It had rained, and the ground was wet."};
    static final String[] FEELINGS = {"sad", "worried", "upset", "scared", "surprised"};
    static final String[] GOOD_FEELINGS = {"happy", "glad", "proud", "excited", "thankful"};
    static final String[] TIMES = {"sunny", "rainy", "cold", "warm", "quiet", "busy"};
    static final String[] LESSONS = {"sharing makes everyone happy", "it is good to help friends",
        "being kind is important", "it is fun to play together", "you should never give up",
        "saying sorry can fix a lot"};
    static final String[] FRUITS = {"apple", "banana", "cherry", "grape", "lemon", "mango", "orange", "pear",
        "plum", "peach", "melon", "kiwi"};
    static final String[] NOUNS = {"apple", "river", "stone", "cloud", "window", "garden", "candle", "bridge",
        "pencil", "ladder", "basket", "mirror", "tower", "island", "rabbit", "forest", "button", "rocket",
        "teapot", "lantern", "carpet", "violin", "pillow", "wagon"};
    static final String[] VERBS = {"get", "set", "add", "find", "make", "load", "save", "read", "send", "check"};

    /** Bland sentences for retrieval filler (the classic pass key filler is the first five). */
    static final String[] FILLER = {"The grass is green.", "The sky is blue.", "The sun is yellow.",
        "Here we go.", "There and back again.", "The river runs to the sea.", "Birds sing in the morning.",
        "The wind moves the leaves.", "A cat sleeps on the warm step.", "The road goes over the hill.",
        "Clouds drift across the sky.", "The bread is fresh today.", "Rain falls on the old roof.",
        "The lamp is on the table.", "Children play in the yard.", "The market opens early.",
        "Snow covers the quiet field.", "The train leaves at noon.", "Flowers grow near the wall.",
        "The moon is bright tonight.", "A boat rests by the shore.", "The door is painted red.",
        "Leaves fall in the autumn.", "The kettle is hot.", "Stars shine above the town."};

    static String name(Rng rng) {
        return rng.chance(0.5) ? rng.pick(GIRLS) : rng.pick(BOYS);
    }

    /** {@code count} distinct names; full names (first + surname) when the first names run out. */
    static List<String> distinctNames(Rng rng, int count) {
        List<String> out = new ArrayList<>(count);
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (out.size() < count) {
            String n = count <= GIRLS.length + BOYS.length - 10 ? name(rng) : name(rng) + " " + rng.pick(SURNAMES);
            if (seen.add(n)) out.add(n);
        }
        return out;
    }

    static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    static String article(String word) {
        return "aeiou".indexOf(word.charAt(0)) >= 0 ? "an" : "a";
    }

    /**
     * Filler sentences whose measured length (each with its leading space) adds up to at least {@code budget}
     * (none if the budget is not positive).
     */
    static List<String> filler(Rng rng, int budget, LengthMeasure measure) {
        List<String> out = new ArrayList<>();
        int used = 0;
        while (used < budget) {
            String s = rng.pick(FILLER);
            used += Math.max(1, measure.of(" " + s));
            out.add(s);
        }
        return out;
    }
}
